package ignore_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/ignore"
)

// Each directory of testdata is a case: rules.yaml (ignoreDifferences entries), in.yaml (a
// rendered manifest, as Helm hands it to a post-renderer) and want.yaml (what the
// post-renderer returns).
func TestPostRendererStripsIgnoredFields(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			rules := readRules(t, filepath.Join(dir, "rules.yaml"))
			in := read(t, filepath.Join(dir, "in.yaml"))
			want := read(t, filepath.Join(dir, "want.yaml"))
			out, err := rules.PostRenderer().Run(bytes.NewBuffer(in))
			if err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestNoRulesNoPostRenderer(t *testing.T) {
	if pr := ignore.Rules(nil).PostRenderer(); pr != nil {
		t.Errorf("rules that ignore nothing give a post-renderer: %v", pr)
	}
}

func TestParsePointer(t *testing.T) {
	for _, tc := range []struct {
		in     string
		tokens []string
		bad    bool
	}{
		{in: "/spec/replicas", tokens: []string{"spec", "replicas"}},
		{in: "/metadata/annotations/a~1b~0c", tokens: []string{"metadata", "annotations", "a/b~c"}},
		{in: "/spec/ports/0", tokens: []string{"spec", "ports", "0"}},
		{in: "/", tokens: []string{""}},
		{in: "", bad: true},
		{in: "spec/replicas", bad: true},
		{in: "/a~2b", bad: true},
		{in: "/a~", bad: true},
	} {
		p, err := ignore.ParsePointer(tc.in)
		if (err != nil) != tc.bad {
			t.Errorf("%q: error %v, want bad %v", tc.in, err, tc.bad)
			continue
		}
		if !tc.bad && !equal(p.Tokens(), tc.tokens) {
			t.Errorf("%q: tokens %q, want %q", tc.in, p.Tokens(), tc.tokens)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readRules(t *testing.T, path string) ignore.Rules {
	t.Helper()
	var entries []struct {
		Group, Kind, Name string
		Paths             []string
	}
	if err := yaml.UnmarshalStrict(read(t, path), &entries); err != nil {
		t.Fatal(err)
	}
	var rules ignore.Rules
	for _, e := range entries {
		r := ignore.Rule{Group: e.Group, Kind: e.Kind, Name: e.Name}
		for _, s := range e.Paths {
			p, err := ignore.ParsePointer(s)
			if err != nil {
				t.Fatal(err)
			}
			r.Paths = append(r.Paths, p)
		}
		rules = append(rules, r)
	}
	return rules
}
