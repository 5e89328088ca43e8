package sopsvalues

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/decrypt"
	yamlv3 "go.yaml.in/yaml/v3"
)

// TestDecryptAgeSources: the other ways SOPS takes age identities, and the ways they fail.
// Failures name where the identity was looked for and never quote key material.
func TestDecryptAgeSources(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	const bogus = "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"
	cases := []struct {
		name    string
		setup   func(t *testing.T, id *age.X25519Identity)
		wantErr []string
	}{
		{"SOPS_AGE_KEY_CMD given the recipient", func(t *testing.T, id *age.X25519Identity) {
			f := filepath.Join(t.TempDir(), "key.txt")
			writeFile(t, f, id.String()+"\n")
			t.Setenv("SOPS_AGE_KEY_CMD", `sh -c 'test "$SOPS_AGE_RECIPIENT" = `+id.Recipient().String()+` && cat `+f+`'`)
		}, nil},
		{"several identities on a line of SOPS_AGE_KEY", func(t *testing.T, id *age.X25519Identity) {
			t.Setenv("SOPS_AGE_KEY", newAgeIdentity(t).String()+" "+id.String())
		}, nil},
		{"SOPS_AGE_KEY_CMD fails", func(t *testing.T, id *age.X25519Identity) {
			t.Setenv("SOPS_AGE_KEY_CMD", `sh -c 'exit 3'`)
		}, []string{"failed to execute command sh -c 'exit 3': exit status 3", "SOPS_AGE_KEY_FILE"}},
		{"passphrase-protected identity file", func(t *testing.T, id *age.X25519Identity) {
			f := filepath.Join(t.TempDir(), "key.age")
			writeFile(t, f, "age-encryption.org/v1\n-> scrypt c2FsdA 18\nAAAA\n--- AAAA\n")
			t.Setenv("SOPS_AGE_KEY_FILE", f)
		}, []string{"the identities in SOPS_AGE_KEY_FILE are encrypted with a passphrase"}},
		{"malformed identity", func(t *testing.T, id *age.X25519Identity) {
			t.Setenv("SOPS_AGE_KEY", "# a comment\n\n"+bogus)
		}, []string{"failed to parse age identities in SOPS_AGE_KEY: line 3: malformed age secret key"}},
		{"plugin identity", func(t *testing.T, id *age.X25519Identity) {
			t.Setenv("SOPS_AGE_KEY", "AGE-PLUGIN-YUBIKEY-1QQQQQQ")
		}, []string{"age plugin identities are not supported"}},
		{"not an identity", func(t *testing.T, id *age.X25519Identity) {
			t.Setenv("SOPS_AGE_KEY", id.Recipient().String())
		}, []string{"line 1: unknown identity type"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateKeys(t)
			id := newAgeIdentity(t)
			enc := encryptForAge(t, plain, formatYAML, id)
			tc.setup(t, id)
			if tc.wantErr == nil {
				assertLikeSOPS(t, "grafana.secrets.yaml", enc, formatYAML)
				return
			}
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
			if strings.Contains(err.Error(), "QQQQQQ") {
				t.Errorf("error quotes key material: %v", err)
			}
		})
	}
}

// TestDecryptPostQuantumAge: a file sops encrypted for a hybrid (ML-KEM) age recipient
// decrypts with its AGE-SECRET-KEY-PQ-1 identity.
func TestDecryptPostQuantumAge(t *testing.T) {
	isolateKeys(t)
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatalf("generate hybrid identity: %v", err)
	}
	key, err := sopsage.MasterKeyFromRecipient(id.Recipient().String())
	if err != nil {
		t.Fatalf("sops age key: %v", err)
	}
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "database.json"))
	enc := encryptWith(t, plain, formatJSON, sops.Metadata{KeyGroups: []sops.KeyGroup{{key}}})
	t.Setenv("SOPS_AGE_KEY", id.String())
	assertLikeSOPS(t, "database.json", enc, formatJSON)
}

// TestDecryptUnsupportedKeys: a file whose data key only PGP holds fails with ErrNoKey, saying
// that kaji decrypts with age and AWS KMS and how to add one of them.
func TestDecryptUnsupportedKeys(t *testing.T) {
	isolateKeys(t)
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	enc := editYAML(t, encryptForAge(t, plain, formatYAML, newAgeIdentity(t)), func(root *yamlv3.Node) {
		meta := mapValue(t, root, "sops")
		deleteKey(t, meta, "age")
		var pgp yamlv3.Node
		if err := yamlv3.Unmarshal([]byte("- fp: 85D77543B3D624B63CEA9E6DBC17301B491B3F21\n  created_at: \"2026-12-01T00:00:00Z\"\n  enc: not-pgp\n"), &pgp); err != nil {
			t.Fatal(err)
		}
		meta.Content = append(meta.Content, &yamlv3.Node{Kind: yamlv3.ScalarNode, Value: "pgp"}, pgp.Content[0])
	})
	_, err := Decrypt("grafana.secrets.yaml", enc)
	if !errors.Is(err, ErrNoKey) {
		t.Fatalf("error is not ErrNoKey: %v", err)
	}
	t.Logf("error: %v", err)
	for _, w := range []string{"PGP 85D77543B3D624B63CEA9E6DBC17301B491B3F21: kaji decrypts SOPS data keys with age and AWS KMS keys only",
		"add an age or AWS KMS key to the file (sops updatekeys)"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q", w)
		}
	}
}

// TestDecryptMalformed: documents sops would not have written, or whose metadata contradicts
// itself. sops refuses each; kaji refuses each with an error that says what is wrong and
// quotes no value.
func TestDecryptMalformed(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	scalar := func(v string) *yamlv3.Node { return &yamlv3.Node{Kind: yamlv3.ScalarNode, Value: v} }
	cases := []struct {
		name, want string
		sentinel   error
		edit       func(t *testing.T, root *yamlv3.Node)
	}{
		{"a key that is not a string", "a key under the top of the document is an integer; SOPS files have string keys", ErrDecrypt,
			func(t *testing.T, root *yamlv3.Node) {
				root.Content = append(root.Content, &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!int", Value: "5"}, scalar("x"))
			}},
		{"a number where ciphertext should be", "the value under adminPassword is an integer where SOPS ciphertext should be", ErrTampered,
			func(t *testing.T, root *yamlv3.Node) {
				v := mapValue(t, root, "adminPassword")
				v.Value, v.Tag, v.Style = "12345", "!!int", 0
			}},
		{"two encryption rules", "its sops metadata sets unencrypted_suffix and encrypted_regex; SOPS allows one of them", ErrDecrypt,
			func(t *testing.T, root *yamlv3.Node) {
				meta := mapValue(t, root, "sops")
				meta.Content = append(meta.Content, scalar("encrypted_regex"), scalar("^password$"))
			}},
		{"an invalid regular expression", "sops.encrypted_regex is not a valid regular expression", ErrDecrypt,
			func(t *testing.T, root *yamlv3.Node) {
				meta := mapValue(t, root, "sops")
				deleteKey(t, meta, "unencrypted_suffix")
				meta.Content = append(meta.Content, scalar("encrypted_regex"), scalar("(unclosed"))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateKeys(t)
			id := newAgeIdentity(t)
			t.Setenv("SOPS_AGE_KEY", id.String())
			enc := editYAML(t, encryptForAge(t, plain, formatYAML, id), func(root *yamlv3.Node) { tc.edit(t, root) })
			if _, err := decrypt.Data(enc, formatYAML); err == nil {
				t.Fatalf("sops accepts the document")
			}
			_, err := Decrypt("grafana.secrets.yaml", enc)
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("error is not %v: %v", tc.sentinel, err)
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error lacks %q", tc.want)
			}
			assertNoSecrets(t, "the error", err.Error(), append(secretOnly(Leaves(parseDoc(t, plain))), "12345"))
		})
	}
}
