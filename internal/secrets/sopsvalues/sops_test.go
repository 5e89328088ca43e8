package sopsvalues

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/getsops/sops/v3"
	yamlv3 "go.yaml.in/yaml/v3"
)

// parseDoc decodes a YAML or JSON document the way a values loader would.
func parseDoc(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yamlv3.Unmarshal(data, &m); err != nil {
		t.Fatalf("parse document: %v", err)
	}
	return m
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return b
}

// assertNoSecrets fails when text holds any of the secret strings.
func assertNoSecrets(t *testing.T, what, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s holds the secret %q:\n%s", what, s, text)
		}
	}
}

// TestDecryptRoundTrip encrypts each plain fixture with sops for a fresh age identity, then
// decrypts it through Decrypt with the identity given each way sops reads it.
func TestDecryptRoundTrip(t *testing.T) {
	cases := []struct {
		fixture, format, name string
	}{
		{"grafana.yaml", formatYAML, "secrets.yaml"},
		{"grafana.yaml", formatYAML, "secrets.yaml.enc"}, // no known extension: the content decides
		{"database.json", formatJSON, "secrets.json"},
		{"database.json", formatJSON, "secrets.enc"},
	}
	for _, tc := range cases {
		for _, via := range []string{"SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "keys.txt"} {
			t.Run(tc.name+"/"+via, func(t *testing.T) {
				isolateKeys(t)
				plain := readFile(t, filepath.Join("testdata", "sops", "plain", tc.fixture))
				id := newAgeIdentity(t)
				other := newAgeIdentity(t)
				enc := encryptForAge(t, plain, tc.format, other, id)
				secrets := Leaves(parseDoc(t, plain))
				if len(secrets) < 3 {
					t.Fatalf("fixture %s has too few string values to test with: %q", tc.fixture, secrets)
				}
				assertNoSecrets(t, "the encrypted document", string(enc), secretOnly(secrets))

				switch via {
				case "SOPS_AGE_KEY":
					t.Setenv("SOPS_AGE_KEY", id.String())
				case "SOPS_AGE_KEY_FILE":
					f := filepath.Join(t.TempDir(), "key.txt")
					writeFile(t, f, "# test key\n"+id.String()+"\n")
					t.Setenv("SOPS_AGE_KEY_FILE", f)
				case "keys.txt":
					writeFile(t, filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "sops", "age", "keys.txt"), id.String()+"\n")
				}

				if !IsSOPS(enc) {
					t.Fatalf("IsSOPS is false for a document sops encrypted:\n%s", enc)
				}
				got, err := Decrypt(tc.name, enc)
				if err != nil {
					t.Fatalf("Decrypt: %v", err)
				}
				if !reflect.DeepEqual(parseDoc(t, got), parseDoc(t, plain)) {
					t.Errorf("decrypted document differs from the plain one:\n got: %s\nwant: %s", got, plain)
				}
				if tc.format == formatJSON && !json.Valid(got) {
					t.Errorf("a JSON document decrypted to something that is not JSON:\n%s", got)
				}
				if IsSOPS(got) {
					t.Errorf("IsSOPS is true for the decrypted document")
				}
			})
		}
	}
}

// secretOnly drops the values the default unencrypted suffix keeps in the clear, and those
// shorter than 8 bytes, which random base64 text may hold by chance.
func secretOnly(values []string) []string {
	var out []string
	for _, v := range values {
		if !strings.Contains(v, "kept in the clear") && len(v) >= 8 {
			out = append(out, v)
		}
	}
	return out
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
}

// TestDecryptNoKey: without the right identity the error says which keys were tried, what to
// set, why sops failed, and names the file, without a value of the document.
func TestDecryptNoKey(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	secrets := secretOnly(Leaves(parseDoc(t, plain)))
	cases := []struct {
		name  string
		setup func(t *testing.T)
		want  []string
	}{
		{"no identity anywhere", func(t *testing.T) {},
			[]string{"Did not find keys in locations", "SOPS_AGE_KEY_FILE"}},
		{"another identity", func(t *testing.T) { t.Setenv("SOPS_AGE_KEY", newAgeIdentity(t).String()) },
			[]string{"identity did not match any of the recipients"}},
		{"key file missing", func(t *testing.T) { t.Setenv("SOPS_AGE_KEY_FILE", filepath.Join(t.TempDir(), "absent.txt")) },
			[]string{"failed to open SOPS_AGE_KEY_FILE file"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateKeys(t)
			id := newAgeIdentity(t)
			enc := encryptForAge(t, plain, formatYAML, id)
			tc.setup(t)
			_, err := Decrypt("env/prod/grafana.secrets.yaml", enc)
			if !errors.Is(err, ErrNoKey) {
				t.Fatalf("error is not ErrNoKey: %v", err)
			}
			t.Logf("error: %v", err)
			msg := err.Error()
			want := append([]string{
				"env/prod/grafana.secrets.yaml",
				"age " + id.Recipient().String(),
				"set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE",
			}, tc.want...)
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(msg, "\x1b[") || strings.Contains(msg, "\n") {
				t.Errorf("error is not one plain line: %q", msg)
			}
			assertNoSecrets(t, "the error", msg, secrets)
		})
	}
}

// TestDecryptTampered: a document changed after encryption fails with ErrTampered and a message
// that names the file and quotes neither values nor the MAC. The first case edits nothing, to
// show that the editing itself keeps a document sops accepts.
func TestDecryptTampered(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	const planted = "hand-typed-plain-secret-55e0"
	cases := []struct {
		name, want string
		edit       func(t *testing.T, root *yamlv3.Node)
	}{
		{"unchanged", "", func(t *testing.T, root *yamlv3.Node) {}},
		{"a value removed", "MAC does not match its values", func(t *testing.T, root *yamlv3.Node) {
			deleteKey(t, root, "adminUser")
		}},
		{"two values swapped", "does not decrypt with its data key at its path", func(t *testing.T, root *yamlv3.Node) {
			a, b := mapValue(t, root, "adminUser"), mapValue(t, root, "adminPassword")
			a.Value, b.Value = b.Value, a.Value
		}},
		{"a plain value typed in", "not SOPS ciphertext", func(t *testing.T, root *yamlv3.Node) {
			mapValue(t, root, "adminPassword").Value = planted
		}},
		{"lastmodified changed", "MAC does not decrypt", func(t *testing.T, root *yamlv3.Node) {
			mapValue(t, mapValue(t, root, "sops"), "lastmodified").Value = "2020-01-01T00:00:00Z"
		}},
		{"mac ciphertext altered", "MAC does not decrypt", func(t *testing.T, root *yamlv3.Node) {
			mac := mapValue(t, mapValue(t, root, "sops"), "mac")
			mac.Value = strings.Replace(mac.Value, "data:", "data:AAAA", 1)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateKeys(t)
			id := newAgeIdentity(t)
			t.Setenv("SOPS_AGE_KEY", id.String())
			enc := encryptForAge(t, plain, formatYAML, id)
			var mac string
			editYAML(t, enc, func(root *yamlv3.Node) { mac = mapValue(t, mapValue(t, root, "sops"), "mac").Value })
			edited := editYAML(t, enc, func(root *yamlv3.Node) { tc.edit(t, root) })
			if !IsSOPS(edited) {
				t.Fatalf("IsSOPS is false after the edit")
			}
			got, err := Decrypt("grafana.secrets.yaml", edited)
			if tc.name == "unchanged" {
				if err != nil {
					t.Fatalf("Decrypt of the re-encoded document: %v", err)
				}
				if !reflect.DeepEqual(parseDoc(t, got), parseDoc(t, plain)) {
					t.Fatalf("re-encoded document decrypts to something else:\n%s", got)
				}
				return
			}
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("error is not ErrTampered: %v", err)
			}
			t.Logf("error: %v", err)
			msg := err.Error()
			for _, w := range []string{"grafana.secrets.yaml", tc.want} {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q: %s", w, msg)
				}
			}
			assertNoSecrets(t, "the error", msg, append(secretOnly(Leaves(parseDoc(t, plain))), planted, mac))
			if h := longHex.FindString(msg); h != "" {
				t.Errorf("error quotes a hash of the values (a MAC): %s", h)
			}
		})
	}
}

// longHex matches a SHA-512 in hex, the form in which SOPS prints MACs.
var longHex = regexp.MustCompile(`[0-9A-Fa-f]{64,}`)

// TestIsSOPS runs over fixtures that are not SOPS documents or only look like one, and over the
// committed encrypted fixture.
func TestIsSOPS(t *testing.T) {
	cases := []struct {
		file string
		want bool
		// wantErr is what Decrypt says of a document that is not SOPS.
		wantErr string
	}{
		{"detect/plain.yaml", false, "has no sops metadata key"},
		{"detect/plain.json", false, "has no mac"},
		{"detect/empty.yaml", false, "not a mapping"},
		{"detect/top-list.yaml", false, "not a mapping"},
		{"detect/invalid.yaml", false, "not valid YAML"},
		{"detect/sops-scalar.yaml", false, "sops key is not a mapping"},
		{"detect/chart-sops-key.yaml", false, "has no mac"},
		{"detect/no-mac.yaml", false, "has no mac"},
		{"detect/no-keys.yaml", false, "names no key"},
		{"detect/empty-key-groups.yaml", false, "names no key"},
		{"fixture/values.enc.yaml", true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data := readFile(t, filepath.Join("testdata", "sops", tc.file))
			if got := IsSOPS(data); got != tc.want {
				t.Fatalf("IsSOPS = %v, want %v", got, tc.want)
			}
			if tc.want {
				return
			}
			_, err := Decrypt(tc.file, data)
			if !errors.Is(err, ErrNotSOPS) {
				t.Fatalf("Decrypt error is not ErrNotSOPS: %v", err)
			}
			for _, w := range []string{tc.file, tc.wantErr} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}

// TestLeaves lists the string values of decrypted documents.
func TestLeaves(t *testing.T) {
	cases := []struct {
		fixture string
		want    []string
	}{
		{"plain/grafana.yaml", []string{
			"-----BEGIN PRIVATE KEY-----\nnot-a-real-key-4d5e\n-----END PRIVATE KEY-----\n",
			"10Gi", "GF_DATABASE_PASSWORD", "GF_LOG_LEVEL", "admin", "db-pass-9c2b", "info",
			"kept in the clear by the default suffix", "s3cr3t-grafana-admin-7f1e", "tok-été-東京-31ab",
		}},
		{"plain/database.json", []string{"app", "db-0.internal", "db-1.internal", "pg-pass-0a9d"}},
		{"detect/chart-sops-key.yaml", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			got := Leaves(parseDoc(t, readFile(t, filepath.Join("testdata", "sops", tc.fixture))))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Leaves =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestEncryptedLeaves: with encrypted_regex only the matching keys are encrypted, and only their
// values are secret; with the default every string but the _unencrypted one is.
func TestEncryptedLeaves(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	cases := []struct {
		name string
		meta func(sops.KeyGroup) sops.Metadata
		want []string
	}{
		{"encrypted_regex", func(g sops.KeyGroup) sops.Metadata {
			return sops.Metadata{KeyGroups: []sops.KeyGroup{g}, EncryptedRegex: "^(adminPassword|token|value)$"}
		}, []string{"db-pass-9c2b", "info", "s3cr3t-grafana-admin-7f1e", "tok-été-東京-31ab"}},
		{"default suffix", func(g sops.KeyGroup) sops.Metadata {
			return sops.Metadata{KeyGroups: []sops.KeyGroup{g}}
		}, []string{
			"-----BEGIN PRIVATE KEY-----\nnot-a-real-key-4d5e\n-----END PRIVATE KEY-----\n",
			"0.25", "10Gi", "2", "GF_DATABASE_PASSWORD", "GF_LOG_LEVEL", "admin", "db-pass-9c2b", "info",
			"s3cr3t-grafana-admin-7f1e", "tok-été-東京-31ab",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateKeys(t)
			id := newAgeIdentity(t)
			t.Setenv("SOPS_AGE_KEY", id.String())
			enc := encryptWith(t, plain, formatYAML, tc.meta(ageGroup(t, id)))
			dec, err := Decrypt("grafana.secrets.yaml", enc)
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			got, err := EncryptedLeaves("grafana.secrets.yaml", enc, parseDoc(t, dec))
			if err != nil {
				t.Fatalf("EncryptedLeaves: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("EncryptedLeaves =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

var updateSOPSFixture = flag.Bool("update-sops-fixture", false, "encrypt testdata/sops/fixture/values.enc.yaml anew")

// TestCommittedFixture decrypts the committed example, testdata/sops/fixture/values.enc.yaml,
// with the test-only age key beside it. Run with -update-sops-fixture to encrypt it anew with
// sops' code and a new key.
func TestCommittedFixture(t *testing.T) {
	isolateKeys(t)
	dir := filepath.Join("testdata", "sops", "fixture")
	plain := readFile(t, filepath.Join(dir, "values.yaml"))
	keyFile := filepath.Join(dir, "age-key.txt")
	if *updateSOPSFixture {
		id := newAgeIdentity(t)
		writeFile(t, keyFile, "# TEST KEY ONLY: it decrypts values.enc.yaml beside it and nothing else.\n"+
			"# public key: "+id.Recipient().String()+"\n"+id.String()+"\n")
		writeFile(t, filepath.Join(dir, "values.enc.yaml"), string(encryptForAge(t, plain, formatYAML, id)))
	}
	t.Setenv("SOPS_AGE_KEY_FILE", keyFile)
	enc := readFile(t, filepath.Join(dir, "values.enc.yaml"))
	if !bytes.Contains(readFile(t, keyFile), []byte("TEST KEY ONLY")) {
		t.Errorf("%s is not marked as a test key", keyFile)
	}
	got, err := Decrypt("values.enc.yaml", enc)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if !reflect.DeepEqual(parseDoc(t, got), parseDoc(t, plain)) {
		t.Errorf("decrypted fixture differs from values.yaml:\n%s", got)
	}
}

// TestDecryptWithheld: other SOPS failures keep their message out of the error, since kaji
// cannot tell whether it quotes the document.
func TestDecryptWithheld(t *testing.T) {
	isolateKeys(t)
	id := newAgeIdentity(t)
	t.Setenv("SOPS_AGE_KEY", id.String())
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	enc := editYAML(t, encryptForAge(t, plain, formatYAML, id), func(root *yamlv3.Node) {
		mapValue(t, mapValue(t, root, "sops"), "lastmodified").Value = "yesterday"
	})
	_, err := Decrypt("grafana.secrets.yaml", enc)
	if !errors.Is(err, ErrDecrypt) {
		t.Fatalf("error is not ErrDecrypt: %v", err)
	}
	t.Logf("error: %v", err)
	for _, w := range []string{"grafana.secrets.yaml", "withheld", "sops decrypt"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q: %v", w, err)
		}
	}
	if strings.Contains(err.Error(), "yesterday") {
		t.Errorf("error quotes the document: %v", err)
	}
}

// TestDecryptKeyGroups: a file split over two key groups (Shamir threshold 2) needs an identity
// of each; the error lists the keys of every group.
func TestDecryptKeyGroups(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "sops", "plain", "grafana.yaml"))
	cases := []struct {
		name    string
		have    func(a, b string) string
		wantErr bool
	}{
		{"both groups", func(a, b string) string { return a + "\n" + b }, false},
		{"one group", func(a, b string) string { return a }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateKeys(t)
			a, b := newAgeIdentity(t), newAgeIdentity(t)
			enc := encryptWith(t, plain, formatYAML, sops.Metadata{
				KeyGroups:       []sops.KeyGroup{ageGroup(t, a), ageGroup(t, b)},
				ShamirThreshold: 2,
			})
			if !strings.Contains(string(enc), "key_groups:") {
				t.Fatalf("sops did not write key_groups:\n%s", enc)
			}
			if !IsSOPS(enc) {
				t.Fatalf("IsSOPS is false for a document with key groups")
			}
			t.Setenv("SOPS_AGE_KEY", tc.have(a.String(), b.String()))
			got, err := Decrypt("grafana.secrets.yaml", enc)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("Decrypt: %v", err)
				}
				if !reflect.DeepEqual(parseDoc(t, got), parseDoc(t, plain)) {
					t.Errorf("decrypted document differs from the plain one:\n%s", got)
				}
				return
			}
			if !errors.Is(err, ErrNoKey) {
				t.Fatalf("error is not ErrNoKey: %v", err)
			}
			for _, w := range []string{"age " + a.Recipient().String(), "age " + b.Recipient().String()} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}
