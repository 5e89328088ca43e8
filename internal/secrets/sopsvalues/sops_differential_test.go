package sopsvalues

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/decrypt"
	"github.com/getsops/sops/v3/logging"
	"github.com/sirupsen/logrus"
	yamlv3 "go.yaml.in/yaml/v3"
)

// The tests of this file check kaji's reader against sops' own: documents that the real SOPS
// code encrypts must decrypt, byte for byte, to what sops' decrypt.Data gives, and documents
// that sops refuses must be refused.

// variant is a set of SOPS options a document is encrypted with.
type variant struct {
	name string
	meta sops.Metadata
}

// variants covers every option that changes which values are encrypted or what the MAC
// covers. The fixtures have keys and comments that each rule picks out.
var variants = []variant{
	{"default", sops.Metadata{}},
	{"encrypted_suffix", sops.Metadata{EncryptedSuffix: "word"}},
	{"unencrypted_regex", sops.Metadata{UnencryptedRegex: "^(host|port|name|logLevel|public_unencrypted)$"}},
	{"encrypted_regex", sops.Metadata{EncryptedRegex: "^(password|token|apiKey|data|string|list|lists)$"}},
	{"mac_only_encrypted", sops.Metadata{MACOnlyEncrypted: true}},
	{"mac_only_encrypted+encrypted_regex", sops.Metadata{MACOnlyEncrypted: true, EncryptedRegex: "^(password|token)$"}},
	{"encrypted_comment_regex", sops.Metadata{EncryptedCommentRegex: "sops:enc"}},
	{"unencrypted_comment_regex", sops.Metadata{UnencryptedCommentRegex: "sops:plain"}},
}

// encryptVariant encrypts plain with sops for id, with the variant's options.
func encryptVariant(t *testing.T, plain []byte, format string, v variant, groups ...sops.KeyGroup) []byte {
	t.Helper()
	meta := v.meta
	meta.KeyGroups = groups
	return encryptWith(t, plain, format, meta)
}

// assertLikeSOPS decrypts enc with decrypt.Data and with Decrypt and fails unless both give
// the same bytes. It returns them.
func assertLikeSOPS(t *testing.T, file string, enc []byte, format string) []byte {
	t.Helper()
	got, refused := compareWithSOPS(t, file, enc, format)
	if refused != nil {
		t.Fatalf("sops' decrypt.Data refuses a document sops encrypted: %v\n%s", refused, enc)
	}
	return got
}

// quietSOPS keeps sops' warnings (about comments that do not decrypt, which it then keeps as
// they are) out of the test output while the test runs.
func quietSOPS(t *testing.T) {
	logging.SetLevel(logrus.ErrorLevel)
	t.Cleanup(func() { logging.SetLevel(logrus.WarnLevel) })
}

// compareWithSOPS decrypts enc with decrypt.Data and with Decrypt. When sops decrypts it,
// Decrypt must give the same bytes, which it returns; when sops refuses it, Decrypt must
// refuse it too, and sops' error is returned.
func compareWithSOPS(t *testing.T, file string, enc []byte, format string) ([]byte, error) {
	t.Helper()
	want, sopsErr := decrypt.Data(enc, format)
	got, err := Decrypt(file, enc)
	if sopsErr != nil {
		if err == nil {
			t.Fatalf("sops refuses the document (%v), Decrypt accepts it:\n%s", sopsErr, enc)
		}
		return nil, sopsErr
	}
	if err != nil {
		t.Fatalf("Decrypt: %v\n%s", err, enc)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Decrypt differs from sops' decrypt.Data:\n--- kaji\n%s\n--- sops\n%s\n--- encrypted\n%s", got, want, enc)
	}
	return got, nil
}

// parseAll decodes every document of a YAML stream, or a JSON document, into plain Go values.
func parseAll(t *testing.T, data []byte, format string) []any {
	t.Helper()
	if format == formatJSON {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("parse JSON: %v", err)
		}
		return []any{v}
	}
	var out []any
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("parse YAML: %v", err)
		}
		out = append(out, v)
	}
}

// TestDecryptLikeSOPS encrypts every fixture of testdata/sops/differential with each variant
// and compares Decrypt with decrypt.Data; the result must also hold the plain fixture's values.
func TestDecryptLikeSOPS(t *testing.T) {
	quietSOPS(t)
	isolateKeys(t)
	id := newAgeIdentity(t)
	t.Setenv("SOPS_AGE_KEY", id.String())
	files, err := filepath.Glob(filepath.Join("testdata", "sops", "differential", "*"))
	if err != nil || len(files) < 5 {
		t.Fatalf("differential fixtures: %v (%d found)", err, len(files))
	}
	for _, path := range files {
		format := formatOf(path, nil)
		plain := readFile(t, path)
		for _, v := range variants {
			t.Run(filepath.Base(path)+"/"+v.name, func(t *testing.T) {
				enc := encryptVariant(t, plain, format, v, ageGroup(t, id))
				if v.name == "default" && reflect.DeepEqual(plainDocs(t, enc, format), plainDocs(t, plain, format)) {
					t.Fatalf("sops left the document as it was")
				}
				got := assertLikeSOPS(t, filepath.Base(path), enc, format)
				if g, p := parseAll(t, got, format), parseAll(t, plain, format); !reflect.DeepEqual(g, p) {
					t.Errorf("decrypted values differ from the plain fixture:\n got: %v\nwant: %v", g, p)
				}
				if strings.Contains(string(got), "ENC[AES256_GCM") || strings.Contains(string(got), "sops:\n") {
					t.Errorf("the decrypted document still holds ciphertext or metadata:\n%s", got)
				}
			})
		}
	}
}

// plainDocs is parseAll without the sops key, to compare documents regardless of their
// layout.
func plainDocs(t *testing.T, data []byte, format string) []any {
	t.Helper()
	docs := parseAll(t, data, format)
	for _, d := range docs {
		if m, ok := d.(map[string]any); ok {
			delete(m, "sops")
		}
	}
	return docs
}

// TestDecryptLikeSOPSGenerated does the same over documents generated at random (with a fixed
// seed): nested mappings and lists, every scalar type, unicode and multi-line strings,
// comments, and keys that the variants' rules pick out.
func TestDecryptLikeSOPSGenerated(t *testing.T) {
	quietSOPS(t)
	isolateKeys(t)
	id := newAgeIdentity(t)
	t.Setenv("SOPS_AGE_KEY", id.String())
	const seed = 20261204
	g := &docGen{r: rand.New(rand.NewPCG(seed, 1))}
	count := map[string]int{}
	refused := 0
	const docs = 240
	for i := range docs {
		format := formatYAML
		if i%3 == 2 {
			format = formatJSON
		}
		v := variants[g.r.IntN(len(variants))]
		var plain []byte
		if format == formatJSON {
			plain = g.jsonDocument()
		} else {
			plain = g.yamlDocuments(t)
		}
		name := "generated." + format
		t.Run(format+"/"+v.name, func(t *testing.T) {
			enc := encryptVariant(t, plain, format, v, ageGroup(t, id))
			got, sopsErr := compareWithSOPS(t, name, enc, format)
			if sopsErr != nil {
				// sops cannot decrypt some documents it wrote with comment rules; kaji
				// refuses them too (compareWithSOPS checked it).
				t.Logf("sops and kaji refuse the document: %v", sopsErr)
				refused++
				return
			}
			if g, p := plainDocs(t, got, format), plainDocs(t, plain, format); !reflect.DeepEqual(g, p) {
				t.Errorf("decrypted values differ from the plain document:\n got: %v\nwant: %v\nplain:\n%s", g, p, plain)
			}
			count[format+"/"+v.name]++
		})
	}
	t.Logf("seed %d: decrypted alike %v; refused by both: %d", seed, count, refused)
	if refused > docs/10 {
		t.Errorf("%d of %d generated documents are refused by sops itself; the generator should make documents sops reads", refused, docs)
	}
}

// TestDecryptKeyGroupsLikeSOPS: a data key split over three key groups, two of which are
// needed, decrypts with the identities of any two groups, as it does in sops.
func TestDecryptKeyGroupsLikeSOPS(t *testing.T) {
	plain := readFile(t, filepath.Join("testdata", "sops", "differential", "nested.yaml"))
	for _, have := range [][]int{{0, 1}, {1, 2}, {0, 2}, {0, 1, 2}} {
		t.Run(fmt.Sprint(have), func(t *testing.T) {
			isolateKeys(t)
			ids := []*age.X25519Identity{newAgeIdentity(t), newAgeIdentity(t), newAgeIdentity(t)}
			enc := encryptWith(t, plain, formatYAML, sops.Metadata{
				KeyGroups:       []sops.KeyGroup{ageGroup(t, ids[0]), ageGroup(t, ids[1]), ageGroup(t, ids[2])},
				ShamirThreshold: 2,
			})
			var keys []string
			for _, i := range have {
				keys = append(keys, ids[i].String())
			}
			t.Setenv("SOPS_AGE_KEY", strings.Join(keys, "\n"))
			assertLikeSOPS(t, "values.yaml", enc, formatYAML)
		})
	}
}

// TestDecryptRefusedLikeSOPS: documents sops encrypted and then edited. Every edit that sops
// refuses, kaji refuses with ErrTampered; the edits sops accepts (an unencrypted value under
// mac_only_encrypted, a comment) kaji accepts with the same result.
func TestDecryptRefusedLikeSOPS(t *testing.T) {
	yamlPlain := readFile(t, filepath.Join("testdata", "sops", "differential", "nested.yaml"))
	jsonPlain := readFile(t, filepath.Join("testdata", "sops", "differential", "database.json"))
	cases := []struct {
		name     string
		format   string
		meta     sops.Metadata
		edit     func(t *testing.T, enc []byte) []byte
		accepted bool
	}{
		{"yaml: ciphertext changed", formatYAML, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editYAML(t, enc, func(root *yamlv3.Node) {
				v := mapValue(t, mapValue(t, root, "database"), "password")
				v.Value = flipData(t, v.Value)
			})
		}, false},
		{"yaml: list items swapped", formatYAML, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editYAML(t, enc, func(root *yamlv3.Node) {
				// The list has no comments: in SOPS' output, comments in lists are list
				// entries, outside the MAC, and moving them is no tampering.
				l := mapValue(t, root, "lists")
				l.Content[0], l.Content[1] = l.Content[1], l.Content[0]
			})
		}, false},
		{"yaml: values of two keys swapped", formatYAML, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editYAML(t, enc, func(root *yamlv3.Node) {
				u := mapValue(t, root, "unicode")
				a, b := mapValue(t, u, "greeting"), mapValue(t, u, "emoji")
				a.Value, b.Value = b.Value, a.Value
			})
		}, false},
		{"yaml: an unencrypted value changed", formatYAML, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editYAML(t, enc, func(root *yamlv3.Node) {
				mapValue(t, mapValue(t, root, "database"), "password_unencrypted").Value = "changed"
			})
		}, false},
		{"yaml: an unencrypted value changed under mac_only_encrypted", formatYAML, sops.Metadata{MACOnlyEncrypted: true}, func(t *testing.T, enc []byte) []byte {
			return editYAML(t, enc, func(root *yamlv3.Node) {
				mapValue(t, mapValue(t, root, "database"), "password_unencrypted").Value = "changed"
			})
		}, true},
		{"yaml: a key added in the clear", formatYAML, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editYAML(t, enc, func(root *yamlv3.Node) {
				root.Content = append([]*yamlv3.Node{{Kind: yamlv3.ScalarNode, Value: "extra_unencrypted"}, {Kind: yamlv3.ScalarNode, Value: "x"}}, root.Content...)
			})
		}, false},
		{"yaml: comments of a list moved", formatYAML, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editYAML(t, enc, func(root *yamlv3.Node) {
				// hosts holds a comment, then a host: a comment entry and a value swapped
				// leave the values in their order.
				l := mapValue(t, mapValue(t, root, "database"), "hosts")
				l.Content[0], l.Content[1] = l.Content[1], l.Content[0]
			})
		}, true},
		{"yaml: a comment added", formatYAML, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editYAML(t, enc, func(root *yamlv3.Node) {
				root.Content[0].HeadComment = "# added by hand"
			})
		}, true},
		{"json: re-encoded unchanged", formatJSON, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editJSON(t, enc, func(doc map[string]any) {})
		}, true},
		{"json: ciphertext changed", formatJSON, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editJSON(t, enc, func(doc map[string]any) {
				db := doc["database"].(map[string]any)
				db["user"] = flipData(t, db["user"].(string))
			})
		}, false},
		{"json: values of two keys swapped", formatJSON, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editJSON(t, enc, func(doc map[string]any) {
				db := doc["database"].(map[string]any)
				db["user"], db["password"] = db["password"], db["user"]
			})
		}, false},
		{"json: a key removed", formatJSON, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editJSON(t, enc, func(doc map[string]any) { delete(doc["database"].(map[string]any), "port") })
		}, false},
		{"json: MAC changed", formatJSON, sops.Metadata{}, func(t *testing.T, enc []byte) []byte {
			return editJSON(t, enc, func(doc map[string]any) {
				meta := doc["sops"].(map[string]any)
				meta["mac"] = flipData(t, meta["mac"].(string))
			})
		}, false},
		{"json: MAC of another file", formatJSON, sops.Metadata{}, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			isolateKeys(t)
			id := newAgeIdentity(t)
			t.Setenv("SOPS_AGE_KEY", id.String())
			plain := yamlPlain
			if tc.format == formatJSON {
				plain = jsonPlain
			}
			meta := tc.meta
			meta.KeyGroups = []sops.KeyGroup{ageGroup(t, id)}
			enc := encryptWith(t, plain, tc.format, meta)
			var edited []byte
			if tc.edit != nil {
				edited = tc.edit(t, enc)
			} else {
				// The MAC of another encryption of the same values with the same key: the
				// data key differs, so it cannot decrypt.
				other := encryptWith(t, plain, tc.format, meta)
				edited = editJSON(t, enc, func(doc map[string]any) {
					var o map[string]any
					if err := json.Unmarshal(other, &o); err != nil {
						t.Fatal(err)
					}
					doc["sops"].(map[string]any)["mac"] = o["sops"].(map[string]any)["mac"]
				})
			}
			if bytes.Equal(edited, enc) {
				t.Fatal("the edit changed nothing")
			}
			_, sopsErr := decrypt.Data(edited, tc.format)
			if tc.accepted {
				if sopsErr != nil {
					t.Fatalf("sops refuses the edit the test expects it to accept: %v", sopsErr)
				}
				assertLikeSOPS(t, "edited."+tc.format, edited, tc.format)
				return
			}
			if sopsErr == nil {
				t.Fatalf("sops accepts the edit the test expects it to refuse")
			}
			_, err := Decrypt("edited."+tc.format, edited)
			if !errors.Is(err, ErrTampered) {
				t.Fatalf("error is not ErrTampered: %v (sops said: %v)", err, sopsErr)
			}
			t.Logf("error: %v", err)
			assertNoSecrets(t, "the error", err.Error(), secretOnly(Leaves(parseDoc(t, plain))))
		})
	}
}

// flipData changes one base64 character of the data of an ENC[...] value, keeping it valid
// base64 of the same length.
func flipData(t *testing.T, value string) string {
	t.Helper()
	i := strings.Index(value, "data:")
	if i < 0 || len(value) < i+6 {
		t.Fatalf("not an ENC value: %q", value)
	}
	c := value[i+5]
	r := byte('A')
	if c == 'A' {
		r = 'B'
	}
	return value[:i+5] + string(r) + value[i+6:]
}

// editJSON decodes a JSON document, lets edit change it, and encodes it again with its keys
// sorted; the document it edits has its keys in that order already.
func editJSON(t *testing.T, data []byte, edit func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse JSON to edit: %v", err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("encode edited JSON: %v", err)
	}
	return out
}
