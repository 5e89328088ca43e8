package secrets

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestScan(t *testing.T) {
	data, err := os.ReadFile("testdata/scan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Values map[string]any `json:"values"`
		Want   []struct {
			Path string `json:"path"`
			Ref  string `json:"ref"`
			Err  string `json:"err"`
		} `json:"want"`
	}
	if err := yaml.UnmarshalStrict(data, &fx); err != nil {
		t.Fatal(err)
	}
	got := Scan(fx.Values)
	if len(got) != len(fx.Want) {
		t.Fatalf("found %d references, want %d: %+v", len(got), len(fx.Want), got)
	}
	for i, w := range fx.Want {
		g := got[i]
		if g.Path != w.Path || g.Ref.Raw != w.Ref {
			t.Errorf("[%d] = %s %s, want %s %s", i, g.Path, g.Ref.Raw, w.Path, w.Ref)
		}
		if FormatPath(g.Keys) != g.Path {
			t.Errorf("[%d] keys %v format as %s, not %s", i, g.Keys, FormatPath(g.Keys), g.Path)
		}
		switch {
		case w.Err == "" && g.Err != nil:
			t.Errorf("[%d] %s: unexpected error %v", i, g.Path, g.Err)
		case w.Err != "" && (g.Err == nil || !strings.Contains(g.Err.Error(), w.Err)):
			t.Errorf("[%d] %s: err = %v, want one containing %q", i, g.Path, g.Err, w.Err)
		}
	}
}

func TestScanNothing(t *testing.T) {
	if got := Scan(nil); len(got) != 0 {
		t.Errorf("Scan(nil) = %v", got)
	}
	if got := Scan(map[string]any{"a": []any{"x", 1, map[string]any{"b": "y"}}}); len(got) != 0 {
		t.Errorf("found references in plain values: %v", got)
	}
}
