package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWaitAndTimeout(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "c", "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(body string) string {
		p := filepath.Join(dir, "kaji.yaml")
		if err := os.WriteFile(p, []byte("apiVersion: kaji.dev/v1alpha1\nproject: p\nreleases:\n"+body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	doc, err := Load(write("  - {name: a, namespace: n, chart: ./c, wait: true, timeout: 90s}\n  - {name: b, namespace: n, chart: ./c}\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := doc.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	a, b := res.Releases[0], res.Releases[1]
	if a.Wait == nil || !*a.Wait || a.Timeout != 90*time.Second {
		t.Errorf("a: wait %v timeout %s, want true and 90s", a.Wait, a.Timeout)
	}
	if b.Wait != nil || b.Timeout != 0 {
		t.Errorf("b: wait %v timeout %s, want both unset", b.Wait, b.Timeout)
	}

	for _, bad := range []string{"soon", "-5m", "0s"} {
		_, err := Load(write("  - {name: a, namespace: n, chart: ./c, timeout: " + bad + "}\n"))
		var ps Problems
		if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Path != "releases[0].timeout" || !strings.Contains(ps[0].Message, bad) || ps[0].Pos.Line != 4 {
			t.Errorf("timeout %q: %v", bad, err)
		}
	}
}
