package sopsvalues

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/decrypt"
	sopskms "github.com/getsops/sops/v3/kms"

	"kaji.dev/kaji/internal/awssim"
)

// Users, role and key of testdata/sops/kms/awssim.yaml.
const (
	simAdminKey       = "AKIASOPSADMIN0000001"
	simEncryptOnlyKey = "AKIAENCRYPTONLY00001"
	simAssumerKey     = "AKIAASSUMER000000001"
	simKeyARN         = "arn:aws:kms:eu-west-1:111122223333:key/7c1d5e2a-0000-4000-8000-000000000001"
	simReaderRole     = "arn:aws:iam::111122223333:role/sops-reader"
)

// startKMSSim starts kaji's AWS simulator on the KMS fixture and points the AWS SDK (kaji's
// and sops') at it, signing as accessKey.
func startKMSSim(t *testing.T, accessKey string) *awssim.Server {
	t.Helper()
	sim := awssim.StartFileT(t, filepath.Join("testdata", "sops", "kms", "awssim.yaml"))
	env, err := sim.Env(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	useSimKey(t, sim, accessKey)
	for k, v := range env {
		t.Setenv(k, v)
	}
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	return sim
}

// useSimKey makes the SDK sign as one of the fixture's access keys.
func useSimKey(t *testing.T, sim *awssim.Server, accessKey string) {
	t.Helper()
	creds, err := sim.CredentialsEnv(accessKey)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range creds {
		t.Setenv(k, v)
	}
}

// kmsCalls lists the simulator's KMS and STS calls as "service Action caller code".
func kmsCalls(sim *awssim.Server) []string {
	var out []string
	for _, c := range sim.Calls() {
		if c.Service == "kms" || c.Service == "sts" {
			out = append(out, strings.TrimSpace(c.Service+" "+c.Action+" "+c.Caller+" "+c.ErrorCode))
		}
	}
	return out
}

// TestDecryptKMSSimulator encrypts documents with sops' own KMS code for a key of kaji's AWS
// simulator, whose KMS checks SigV4 and IAM, and decrypts them through Decrypt with different
// callers: one allowed kms:Decrypt, one not, and one that reaches the key through the role
// that the file names.
func TestDecryptKMSSimulator(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	secrets := secretOnly(Leaves(parseDoc(t, plain)))
	context := map[string]*string{"app": aws.String("grafana"), "env": aws.String("prod")}
	cases := []struct {
		name string
		// role is the role the file's key names; decryptAs signs Decrypt's calls.
		role      string
		decryptAs string
		wantErr   []string
		wantCalls []string
	}{
		{name: "allowed kms:Decrypt", decryptAs: simAdminKey,
			wantCalls: []string{"kms Decrypt arn:aws:iam::111122223333:user/sops-admin"}},
		{name: "without kms:Decrypt", decryptAs: simEncryptOnlyKey,
			wantErr: []string{"AWS KMS " + simKeyARN, "failed to decrypt sops data key with AWS KMS: AccessDeniedException",
				"is not authorized to perform: kms:Decrypt on resource: " + simKeyARN, "allowed kms:Decrypt on the key"},
			wantCalls: []string{"kms Decrypt arn:aws:iam::111122223333:user/encrypt-only AccessDenied"}},
		{name: "through the key's role", role: simReaderRole, decryptAs: simAssumerKey,
			wantCalls: []string{"sts AssumeRole arn:aws:iam::111122223333:user/assumer",
				"kms Decrypt arn:aws:sts::111122223333:assumed-role/sops-reader/kaji@"}},
		{name: "role not assumable", role: simReaderRole, decryptAs: simEncryptOnlyKey,
			wantErr: []string{"failed to assume role '" + simReaderRole + "'", "AccessDenied",
				"not authorized to perform: sts:AssumeRole", "or sts:AssumeRole on the role the file names"},
			wantCalls: []string{"sts AssumeRole arn:aws:iam::111122223333:user/encrypt-only AccessDenied"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateKeys(t)
			sim := startKMSSim(t, simAdminKey)
			key := sopskms.NewMasterKey(simKeyARN, "", context)
			if tc.role != "" {
				key = sopskms.NewMasterKey(simKeyARN, tc.role, context)
				useSimKey(t, sim, simAssumerKey) // sops, too, assumes the role to encrypt
			}
			enc := encryptWith(t, plain, formatYAML, sops.Metadata{KeyGroups: []sops.KeyGroup{{key}}})
			if !strings.Contains(string(enc), simKeyARN) {
				t.Fatalf("the document does not name the simulator's key:\n%s", enc)
			}
			useSimKey(t, sim, tc.decryptAs)
			if tc.wantErr == nil {
				want, err := decrypt.Data(enc, formatYAML)
				if err != nil {
					t.Fatalf("sops' decrypt.Data: %v", err)
				}
				before := len(kmsCalls(sim))
				got, err := Decrypt("grafana.secrets.yaml", enc)
				if err != nil {
					t.Fatalf("Decrypt: %v", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("Decrypt differs from sops' decrypt.Data:\n--- kaji\n%s\n--- sops\n%s", got, want)
				}
				if !reflect.DeepEqual(parseDoc(t, got), parseDoc(t, plain)) {
					t.Errorf("decrypted document differs from the plain one:\n%s", got)
				}
				assertCalls(t, kmsCalls(sim)[before:], tc.wantCalls)
				return
			}
			before := len(kmsCalls(sim))
			_, err := Decrypt("grafana.secrets.yaml", enc)
			if !errors.Is(err, ErrNoKey) {
				t.Fatalf("error is not ErrNoKey: %v", err)
			}
			t.Logf("error: %v", err)
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q", w)
				}
			}
			assertNoSecrets(t, "the error", err.Error(), secrets)
			assertCalls(t, kmsCalls(sim)[before:], tc.wantCalls)
		})
	}
}

// assertCalls checks that calls begin with the wanted ones, in order; a wanted call ending in
// @ matches any session name after it.
func assertCalls(t *testing.T, calls, want []string) {
	t.Helper()
	if len(calls) != len(want) {
		t.Fatalf("calls = %q, want %q", calls, want)
	}
	for i, w := range want {
		if calls[i] != w && !(strings.HasSuffix(w, "@") && strings.HasPrefix(calls[i], w)) {
			t.Errorf("call %d = %q, want %q", i, calls[i], w)
		}
	}
}

// TestDecryptAgeBeforeKMS: in a group with an age and a KMS key, the age key is tried first;
// KMS is asked only when no identity matches.
func TestDecryptAgeBeforeKMS(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	for _, withIdentity := range []bool{true, false} {
		t.Run(map[bool]string{true: "identity given", false: "no identity"}[withIdentity], func(t *testing.T) {
			isolateKeys(t)
			sim := startKMSSim(t, simAdminKey)
			id := newAgeIdentity(t)
			group := append(ageGroup(t, id), sopskms.NewMasterKey(simKeyARN, "", nil))
			enc := encryptWith(t, plain, formatYAML, sops.Metadata{KeyGroups: []sops.KeyGroup{group}})
			if withIdentity {
				t.Setenv("SOPS_AGE_KEY", id.String())
			}
			before := len(kmsCalls(sim))
			got, err := Decrypt("grafana.secrets.yaml", enc)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if !reflect.DeepEqual(parseDoc(t, got), parseDoc(t, plain)) {
				t.Errorf("decrypted document differs from the plain one:\n%s", got)
			}
			want := []string{"kms Decrypt arn:aws:iam::111122223333:user/sops-admin"}
			if withIdentity {
				want = nil
			}
			assertCalls(t, kmsCalls(sim)[before:], want)
		})
	}
}
