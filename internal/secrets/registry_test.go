package secrets

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

type redactCase struct {
	Name    string            `json:"name"`
	Secrets map[string]string `json:"secrets"`
	In      string            `json:"in"`
	Want    string            `json:"want"`
}

func TestRedactFixtures(t *testing.T) {
	body, err := os.ReadFile("testdata/redact.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []redactCase
	if err := sigsyaml.UnmarshalStrict(body, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/redact.yaml")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			r := NewRegistry()
			for v, label := range c.Secrets {
				if err := r.Add(v, label); err != nil {
					t.Fatal(err)
				}
			}
			if got := r.Redact(c.In); got != c.Want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", c.In, got, c.Want)
			}
		})
	}
}

// The values a test hides: plain, and with every character that an encoder escapes.
var testValues = []string{
	"s3cr3t-Pa55w0rd",
	"quote\"back\\slash/tab\tnl\nend",
	"html<script>&amp;'single'",
	"unicode-é-日本-\u2028-\x01-\x7f",
	"space and+plus%percent?q=1&x=#frag",
	"k=v\nline-two: yes\n",
}

const testLabel = "(secret: ref+awsssm://app/password)"

// Every encoder that puts a value in front of a reader, applied to a text that carries the
// value between other text; Redact must leave no trace of the value in any.
func TestRedactEncodedForms(t *testing.T) {
	encoders := map[string]func(string) string{
		"raw": func(s string) string { return s },
		"json": func(s string) string {
			b, _ := json.Marshal(map[string]any{"data": map[string]string{"password": s}})
			return string(b)
		},
		"json no html escape": func(s string) string {
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			_ = enc.Encode([]string{s})
			return b.String()
		},
		"json indented": func(s string) string {
			b, _ := json.MarshalIndent(map[string]string{"value": s}, "", "  ")
			return string(b)
		},
		"go quoted": func(s string) string { return fmt.Sprintf("error: bad value %q", s) },
		"yaml double-quoted": func(s string) string {
			b, _ := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Value: "password"},
				{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: s},
			}})
			return string(b)
		},
		"yaml single-quoted": func(s string) string {
			return "password: '" + strings.ReplaceAll(s, "'", "''") + "'\n"
		},
		"yaml of a ConfigMap": func(s string) string {
			b, err := sigsyaml.Marshal(map[string]any{"kind": "ConfigMap", "data": map[string]string{"password": s}})
			if err != nil {
				return "" // this emitter refuses control characters: it prints nothing
			}
			return string(b)
		},
		"query": func(s string) string { return "https://db.example.com/?password=" + url.QueryEscape(s) + "&x=1" },
		"path":  func(s string) string { return "https://db.example.com/" + url.PathEscape(s) + "/x" },
		"base64 std": func(s string) string {
			return "password: " + base64.StdEncoding.EncodeToString([]byte(s)) + "\n"
		},
		"base64 raw": func(s string) string {
			return "password: " + base64.RawStdEncoding.EncodeToString([]byte(s)) + "\n"
		},
		"base64 url": func(s string) string {
			return "password: " + base64.URLEncoding.EncodeToString([]byte(s)) + "\n"
		},
		"secret data as json": func(s string) string {
			b, _ := json.Marshal(map[string]any{"data": map[string][]byte{"password": []byte(s)}})
			return string(b)
		},
	}
	for _, v := range testValues {
		r := NewRegistry()
		if err := r.Add(v, testLabel); err != nil {
			t.Fatal(err)
		}
		for name, enc := range encoders {
			in := enc(v)
			if in == "" {
				continue
			}
			out := r.Redact(in)
			if !strings.Contains(out, testLabel) {
				t.Errorf("%s of %q: no label in\n%s\nfrom\n%s", name, v, out, in)
			}
			if strings.Contains(out, v) {
				t.Errorf("%s of %q: the value is in\n%s", name, v, out)
			}
			if strings.HasPrefix(name, "json") || name == "secret data as json" {
				if !json.Valid([]byte(out)) {
					t.Errorf("%s of %q: invalid JSON after Redact:\n%s", name, v, out)
				}
			}
		}
	}
}

// A value inside a longer text that is base64-encoded as a whole (a config file in a Secret)
// is found at each of the three byte alignments, and what is left around the label encodes
// no more than the text around the value.
func TestRedactBase64InsideLongerText(t *testing.T) {
	const value = "s3cr3t-Pa55w0rd"
	r := NewRegistry()
	if err := r.Add(value, testLabel); err != nil {
		t.Fatal(err)
	}
	for pre := range 7 {
		for post := range 7 {
			prefix, suffix := strings.Repeat("p", pre), strings.Repeat("s", post)
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding} {
				in := enc.EncodeToString([]byte(prefix + value + suffix))
				out := r.Redact(in)
				before, after, ok := strings.Cut(out, testLabel)
				if !ok {
					t.Errorf("prefix %d, suffix %d: no label in %q (from %q)", pre, post, out, in)
					continue
				}
				if !strings.HasPrefix(in, before) || !strings.HasSuffix(in, after) {
					t.Errorf("prefix %d, suffix %d: %q is not the encoded text with one stretch replaced", pre, post, out)
				}
				// Each character holds 6 bits: only the characters that mix the text around with
				// the value may be left, not one that holds nothing but bits of the value.
				mixedBefore := (8*pre + 5) / 6
				mixedAfter := (8*(pre+len(value)+post)+5)/6 - 8*(pre+len(value))/6
				if len(before) > mixedBefore || len(strings.TrimRight(after, "=")) > mixedAfter {
					t.Errorf("prefix %d, suffix %d: %q keeps more than the text around the value", pre, post, out)
				}
			}
		}
	}
}

func TestAddTooShort(t *testing.T) {
	r := NewRegistry()
	for _, v := range []string{"", "a", "admin"} {
		err := r.Add(v, "(secret: ref+awsssm://x)")
		var short *TooShortError
		if !errors.As(err, &short) || short.Len != len(v) {
			t.Errorf("Add(%q) = %v, want a *TooShortError of length %d", v, err, len(v))
		}
	}
	if got := r.TooShort(); len(got) != 3 || got[0] != "(secret: ref+awsssm://x)" {
		t.Errorf("TooShort() = %q, want the label three times", got)
	}
	if r.Len() != 0 {
		t.Errorf("Len() = %d after refused values", r.Len())
	}
	if in := "admin a"; r.Redact(in) != in {
		t.Errorf("a refused value was redacted: %q", r.Redact(in))
	}
	if err := r.Add(strings.Repeat("x", MinLength), "(secret: ok)"); err != nil {
		t.Errorf("a value of MinLength bytes: %v", err)
	}
}

func TestEmptyRegistryChangesNothing(t *testing.T) {
	var zero Registry
	for _, r := range []*Registry{nil, &zero, NewRegistry()} {
		if in := "any text, \"quoted\"\n"; r.Redact(in) != in {
			t.Errorf("%v: Redact changed %q", r, in)
		}
	}
	if err := zero.Add("works-on-the-zero-value", "(secret: z)"); err != nil || zero.Redact("works-on-the-zero-value") != "(secret: z)" {
		t.Errorf("zero Registry: Add %v, Redact %q", err, zero.Redact("works-on-the-zero-value"))
	}
}

// Values added from several goroutines while others redact: every one is registered.
func TestAddConcurrently(t *testing.T) {
	r := NewRegistry()
	const n = 64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := r.Add(fmt.Sprintf("value-%03d-secret", i), fmt.Sprintf("(secret: %d)", i)); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() { _ = r.Redact("value-000-secret value-001-secret") })
	}
	wg.Wait()
	if r.Len() != n {
		t.Fatalf("Len() = %d, want %d", r.Len(), n)
	}
	for i := range n {
		if got, want := r.Redact(fmt.Sprintf("[value-%03d-secret]", i)), "[(secret: "+strconv.Itoa(i)+")]"; got != want {
			t.Errorf("Redact = %q, want %q", got, want)
		}
	}
}

// Contains finds what Redact replaces, in the same forms, and nothing else.
func TestContains(t *testing.T) {
	r := NewRegistry()
	if r.Contains("anything") {
		t.Error("an empty registry contains something")
	}
	if err := r.Add("s3cret-value", LabelRef("ref+awsssm:///x")); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"s3cret-value",
		`{"password":"s3cret-value"}`,
		base64.StdEncoding.EncodeToString([]byte("s3cret-value")),
		"prefix " + base64.StdEncoding.EncodeToString([]byte("user:s3cret-value")) + " suffix",
		"none here", "s3cret-valu", "",
	} {
		if got, want := r.Contains(s), r.Redact(s) != s; got != want {
			t.Errorf("Contains(%q) = %v, but Redact replaces something: %v", s, got, want)
		}
	}
	if !r.Contains("x=s3cret-value") || r.Contains("s3cret-valu") {
		t.Error("Contains misses the value or finds a part of it")
	}
}
