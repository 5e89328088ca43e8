package spec

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// header starts a kaji.yaml whose one release has inline values that follow.
const header = "apiVersion: kaji.dev/v1alpha1\nproject: p\nreleases:\n  - name: a\n    namespace: a\n    chart: ./c\n    values:\n      deep: "

// kaji.yaml built to explode is refused with a problem or error that names the file, in
// bounded time and memory: a file of 100 MB (sparse, so the test writes little), and values
// nested 100,000 deep as lists or as mappings.
func TestExplodingKajiYAMLIsRefused(t *testing.T) {
	for _, tt := range []struct {
		name  string
		write func(path string) error
		want  string
	}{
		{"100 MB", func(path string) error {
			if err := os.WriteFile(path, []byte(header+"1\n"), 0o600); err != nil {
				return err
			}
			return os.Truncate(path, 100<<20)
		}, "larger than 4 MiB"},
		{"100,000 nested lists", func(path string) error {
			return os.WriteFile(path, []byte(header+strings.Repeat("[", 100_000)+strings.Repeat("]", 100_000)+"\n"), 0o600)
		}, "exceeded max depth"},
		{"100,000 nested mappings", func(path string) error {
			return os.WriteFile(path, []byte(header+strings.Repeat("{a: ", 100_000)+"1"+strings.Repeat("}", 100_000)+"\n"), 0o600)
		}, "exceeded max depth"},
		{"100,000 unclosed lists", func(path string) error {
			return os.WriteFile(path, []byte(header+strings.Repeat("[", 100_000)+"\n"), 0o600)
		}, "exceeded max depth"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kaji.yaml")
			if err := tt.write(path); err != nil {
				t.Fatal(err)
			}
			took, alloc, err := measure(func() error { _, err := Load(path); return err })
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load: %v; want an error naming %s that says %q", err, path, tt.want)
			}
			t.Logf("refused in %s, %d MB allocated: %.200s", took.Round(time.Millisecond), alloc>>20, err)
			if took > 5*time.Second || alloc > 600<<20 {
				t.Errorf("took %s and %d MB; want under 5 s and 600 MB", took, alloc>>20)
			}
		})
	}
}

// A file that never ends, such as a device, is cut off at the bound too.
func TestReadFileStopsAtTheBound(t *testing.T) {
	_, err := ReadFile("/dev/zero")
	var tooLarge *FileTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.File != "/dev/zero" {
		t.Fatalf("ReadFile(/dev/zero): %v; want a *FileTooLargeError", err)
	}
}

// measure runs fn and returns how long it took and how many bytes it allocated.
func measure(fn func() error) (time.Duration, uint64, error) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	err := fn()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return took, after.TotalAlloc - before.TotalAlloc, err
}
