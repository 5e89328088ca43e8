package spec

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// FuzzParse decodes and validates arbitrary kaji.yaml text. Whatever the input: parsing ends
// (no hang), gives the same answer twice, returns a document exactly when it finds no
// problem, and every problem names the file at a line inside it, a number of them linear in the input.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*/*.yaml", "../../examples/*/kaji.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte(bomb(9, "values")))
	f.Add([]byte("apiVersion: kaji.dev/v1alpha1\nproject: p\nreleases:\n  - &r {name: a, values: *r}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "kaji.yaml"
		var doc *Document
		var problems Problems
		within(t, 10*time.Second, func() { doc, problems = parse(name, "/p/kaji.yaml", data) })
		if (doc == nil) == (len(problems) == 0) {
			t.Fatalf("document %v with %d problems: want a document exactly when there is no problem", doc != nil, len(problems))
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		// Linear in the input: besides what is written, at most the missing required fields.
		if len(problems) > len(data)+16 {
			t.Errorf("%d problems for %d bytes", len(problems), len(data))
		}
		for _, p := range problems {
			if p.Pos.File != name || p.Pos.Line < 0 || p.Pos.Line > lines+1 || p.Message == "" {
				t.Errorf("problem %q: want it in %s within lines 0..%d, with a message", p, name, lines+1)
			}
		}
		_, again := parse(name, "/p/kaji.yaml", data)
		if !reflect.DeepEqual(problems, again) {
			t.Errorf("two parses differ:\n%v\n%v", problems, again)
		}
	})
}

// within runs fn and fails the test if it has not returned after limit: a generous bound
// that tells a hang from slow input.
func within(t *testing.T, limit time.Duration, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("still running after %s", limit)
	}
}
