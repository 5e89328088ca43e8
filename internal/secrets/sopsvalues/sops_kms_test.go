package sopsvalues

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/getsops/sops/v3"
	sopskms "github.com/getsops/sops/v3/kms"
	yamlv3 "go.yaml.in/yaml/v3"

	"kaji.dev/kaji/internal/secrets/secretstest"
)

const testKMSARN = "arn:aws:kms:eu-west-1:111122223333:key/5d3c4a5e-0000-4000-8000-000000000001"

// closedPort returns a loopback URL on which nothing listens, so that an AWS call fails at once.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return "http://" + addr
}

// fakeAWS points sops' KMS client at endpoint with static test credentials and one attempt.
func fakeAWS(t *testing.T, endpoint string) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAKAJITESTKEY00001")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "kaji-test-secret-access-key")
	t.Setenv("AWS_ENDPOINT_URL_KMS", endpoint)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
}

// withKMSKey encrypts plain for an age identity, then rewrites its metadata so that the data
// key is (as far as the file says) held by an AWS KMS key too, or only: the values and MAC stay
// as sops wrote them.
func withKMSKey(t *testing.T, plain []byte, keepAge bool) ([]byte, string) {
	t.Helper()
	id := newAgeIdentity(t)
	enc := encryptForAge(t, plain, formatYAML, id)
	return editYAML(t, enc, func(root *yamlv3.Node) {
		meta := mapValue(t, root, "sops")
		if !keepAge {
			deleteKey(t, meta, "age")
		}
		var kmsList yamlv3.Node
		if err := yamlv3.Unmarshal([]byte(`- arn: `+testKMSARN+`
  created_at: "2026-12-01T00:00:00Z"
  enc: AQICAHhub3QtYS1yZWFsLWNpcGhlcnRleHQ=
  aws_profile: ""
`), &kmsList); err != nil {
			t.Fatalf("parse kms list: %v", err)
		}
		meta.Content = append(meta.Content, &yamlv3.Node{Kind: yamlv3.ScalarNode, Value: "kms"}, kmsList.Content[0])
	}), id.Recipient().String()
}

// TestDecryptKMSUnavailable: a file for an AWS KMS key that cannot be reached fails with
// ErrNoKey, names the key, says to allow kms:Decrypt, and carries the AWS error.
func TestDecryptKMSUnavailable(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	cases := []struct {
		name    string
		keepAge bool
	}{
		{"kms only", false},
		{"age and kms", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateKeys(t)
			fakeAWS(t, closedPort(t))
			enc, recipient := withKMSKey(t, plain, tc.keepAge)
			if !IsSOPS(enc) {
				t.Fatalf("IsSOPS is false for the rewritten document:\n%s", enc)
			}
			_, err := Decrypt("grafana.secrets.yaml", enc)
			if !errors.Is(err, ErrNoKey) {
				t.Fatalf("error is not ErrNoKey: %v", err)
			}
			t.Logf("error: %v", err)
			want := []string{"grafana.secrets.yaml", "AWS KMS " + testKMSARN, "kms:Decrypt",
				"failed to decrypt sops data key with AWS KMS"}
			if tc.keepAge {
				want = append(want, "age "+recipient, "SOPS_AGE_KEY_FILE")
			} else if strings.Contains(err.Error(), "SOPS_AGE_KEY_FILE to") {
				t.Errorf("error gives the age hint for a file without age keys: %v", err)
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q", w)
				}
			}
			assertNoSecrets(t, "the error", err.Error(), secretOnly(Leaves(parseDoc(t, plain))))
		})
	}
}

// TestDecryptKMSMoto encrypts a document with sops' own KMS code for a key that moto (an AWS
// emulator, not part of kaji) holds, and decrypts it through Decrypt: the KMS calls go over the
// wire with SigV4 as they would to AWS; the result must be what sops' decrypt.Data gives. Then
// the file's encryption context is edited, KMS refuses the data key, and Decrypt must fail
// with the AWS error.
func TestDecryptKMSMoto(t *testing.T) {
	endpoint := secretstest.StartMoto(t).Endpoint
	isolateKeys(t)
	fakeAWS(t, endpoint)
	ctx := context.Background()
	client := kms.New(kms.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
	})
	key, err := client.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("kaji sops test")})
	if err != nil {
		t.Fatalf("create KMS key in moto: %v", err)
	}
	arn := aws.ToString(key.KeyMetadata.Arn)

	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	kmsKey := sopskms.NewMasterKeyFromArn(arn, map[string]*string{"app": aws.String("grafana")}, "")
	enc := encryptWith(t, plain, formatYAML, sops.Metadata{KeyGroups: []sops.KeyGroup{{kmsKey}}})
	if !strings.Contains(string(enc), arn) {
		t.Fatalf("encrypted document does not name the KMS key:\n%s", enc)
	}
	got := assertLikeSOPS(t, "grafana.secrets.yaml", enc, formatYAML)
	if !reflect.DeepEqual(parseDoc(t, got), parseDoc(t, plain)) {
		t.Errorf("decrypted document differs from the plain one:\n%s", got)
	}

	// The encryption context is bound to the KMS ciphertext: a file whose context was edited
	// asks KMS for a decryption that KMS refuses.
	enc = editYAML(t, enc, func(root *yamlv3.Node) {
		kmsKeys := mapValue(t, mapValue(t, root, "sops"), "kms")
		mapValue(t, mapValue(t, kmsKeys.Content[0], "context"), "app").Value = "other"
	})
	_, err = Decrypt("grafana.secrets.yaml", enc)
	if !errors.Is(err, ErrNoKey) {
		t.Fatalf("Decrypt with the key disabled: error is not ErrNoKey: %v", err)
	}
	t.Logf("error: %v", err)
	for _, w := range []string{"AWS KMS " + arn, "kms:Decrypt", "InvalidCiphertextException"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
}
