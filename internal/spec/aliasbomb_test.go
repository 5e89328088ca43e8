package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bomb is kaji.yaml with levels of lists of nine aliases to the level below, under path.
func bomb(levels int, where string) string {
	var b strings.Builder
	b.WriteString("apiVersion: kaji.dev/v1alpha1\nproject: bomb\nreleases:\n  - name: a\n    namespace: a\n    chart: ./c\n")
	b.WriteString("    " + where + ":\n")
	b.WriteString(`      l0: &l0 ["x","x","x","x","x","x","x","x","x"]` + "\n")
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "      l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 9), ","))
	}
	return b.String()
}

// An alias bomb in kaji.yaml, in inline values or in a typed field, is refused at the first
// node too big to expand, without expanding it; a file with a few aliases still loads. (Before,
// nine levels in inline values made validate run for minutes and grow past 20 GB.)
func TestAliasBombIsRefused(t *testing.T) {
	for _, tt := range []struct {
		where, path string
		line        int
	}{
		{"values", "releases[0].values.l5", 13},
		{"ignoreDifferences", "releases[0].ignoreDifferences.l5", 13},
	} {
		t.Run(tt.where, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kaji.yaml")
			if err := os.WriteFile(path, []byte(bomb(9, tt.where)), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			var ps Problems
			if !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("Load: %v; want one problem", err)
			}
			if ps[0].Path != tt.path || ps[0].Pos.Line != tt.line || !strings.Contains(ps[0].Message, "aliases") {
				t.Errorf("problem %+v; want %s at line %d about aliases", ps[0], tt.path, tt.line)
			}
		})
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "kaji.yaml")
	if err := os.WriteFile(path, []byte(bomb(3, "values")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c", "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Errorf("three levels (729 strings) were refused: %v", err)
	}
}
