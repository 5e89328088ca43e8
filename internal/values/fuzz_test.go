package values

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"kaji.dev/kaji/internal/render/corpus"
	"kaji.dev/kaji/internal/spec"
)

// FuzzMerge reads two values files and merges them as Helm's -f does. Whatever the files:
// reading ends (no hang); merging a file over itself changes nothing; the values read back
// through an inline layer are the same; and in a merge of a under b, every key of b that is
// not a map wins, and every key of a that b lacks stays.
func FuzzMerge(f *testing.F) {
	for _, data := range seedValues(f) {
		f.Add(data, []byte("replicaCount: 2\nimage:\n  tag: v2\n"))
	}
	f.Add([]byte("a: &a [1, 2]\nb: *a\n"), []byte("a: {x: 1}\n"))
	f.Add([]byte("a: [[[[[[[[[[1]]]]]]]]]]\n"), []byte("---\nb: 1\n---\nc: 2\n"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		dir := t.TempDir()
		la, lb := fileLayer(t, dir, "a.yaml", a), fileLayer(t, dir, "b.yaml", b)
		var ma, mb, mab map[string]any
		var erra, errb, errab error
		within(t, 10*time.Second, func() {
			ma, erra = Merge([]spec.ValuesLayer{la})
			mb, errb = Merge([]spec.ValuesLayer{lb})
			mab, errab = Merge([]spec.ValuesLayer{la, lb})
		})
		if erra != nil || errb != nil {
			if errab == nil {
				t.Fatalf("a merge of files that do not read succeeded (a: %v, b: %v)", erra, errb)
			}
			return
		}
		if errab != nil {
			t.Fatalf("two files that read alone do not merge: %v", errab)
		}
		if twice, err := Merge([]spec.ValuesLayer{la, la}); err != nil || !reflect.DeepEqual(twice, ma) {
			t.Errorf("a file merged over itself: %v, %v; want %v", twice, err, ma)
		}
		if inline, err := Merge([]spec.ValuesLayer{{Inline: ma}}); err != nil || !reflect.DeepEqual(inline, ma) {
			t.Errorf("values read back inline: %v, %v; want %v", inline, err, ma)
		}
		for k, v := range mb {
			if _, isMap := v.(map[string]any); !isMap && !reflect.DeepEqual(mab[k], v) {
				t.Errorf("key %q: merged %v, want b's %v", k, mab[k], v)
			}
		}
		for k, v := range ma {
			if _, inB := mb[k]; !inB && !reflect.DeepEqual(mab[k], v) {
				t.Errorf("key %q: merged %v, want a's %v", k, mab[k], v)
			}
		}
	})
}

// seedValues returns the values files of the test data and of the chart corpus, when the
// corpus is there.
func seedValues(f *testing.F) [][]byte {
	files, err := filepath.Glob("../spec/testdata/values/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	if dir, err := corpus.Dir(); err == nil {
		more, err := filepath.Glob(filepath.Join(dir, "*", "values.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		files = append(files, more...)
	}
	var out [][]byte
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

func fileLayer(t *testing.T, dir, name string, data []byte) spec.ValuesLayer {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return spec.ValuesLayer{File: path}
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
