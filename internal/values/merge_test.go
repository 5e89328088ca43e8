package values

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"kaji.dev/kaji/internal/spec"
)

func write(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMergeOrderAndDeepMaps(t *testing.T) {
	base := write(t, "base.yaml", "image:\n  repository: nginx\n  tag: \"1.0\"\nreplicaCount: 1\nlist: [a, b]\n")
	prod := write(t, "prod.yaml", "image:\n  tag: \"2.0\"\nlist: [c]\n")
	got, err := Merge([]spec.ValuesLayer{
		{File: base},
		{Inline: map[string]any{"replicaCount": 2, "extra": map[string]any{"k": "v"}}},
		{File: prod},
		{Inline: map[string]any{"replicaCount": 3}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"image":        map[string]any{"repository": "nginx", "tag": "2.0"},
		"replicaCount": float64(3), // as Helm reads numbers: through JSON
		"list":         []any{"c"}, // lists replace, they do not merge
		"extra":        map[string]any{"k": "v"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merged\n%#v\nwant\n%#v", got, want)
	}
}

// Inline values must reach the chart with the same types as the same text in a values file.
func TestInlineValuesHaveHelmTypes(t *testing.T) {
	text := "n: 3\nf: 1.5\nb: true\ns: \"007\"\nnested:\n  big: 12345678901\n"
	fromFile, err := Merge([]spec.ValuesLayer{{File: write(t, "v.yaml", text)}})
	if err != nil {
		t.Fatal(err)
	}
	inline, err := loader.LoadValues(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	fromInline, err := Merge([]spec.ValuesLayer{{Inline: inline}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromFile, fromInline) {
		t.Errorf("file %#v\ninline %#v", fromFile, fromInline)
	}
}

func TestMergeErrorsNameTheSource(t *testing.T) {
	origin := spec.Pos{File: "kaji.yaml", Line: 7, Column: 5}
	_, err := Merge([]spec.ValuesLayer{{File: "/nonexistent/values.yaml", Origin: origin}})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/values.yaml") || !strings.Contains(err.Error(), "kaji.yaml:7:5") {
		t.Errorf("missing file error = %v", err)
	}
	bad := write(t, "bad.yaml", "a: [unclosed\n")
	_, err = Merge([]spec.ValuesLayer{{File: bad, Origin: origin}})
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad yaml error = %v", err)
	}
}
