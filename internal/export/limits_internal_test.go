package export

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"kaji.dev/kaji/internal/spec"
)

func TestAValuesFileTooLargeIsRefusedAsEverywhereElse(t *testing.T) {
	// A sparse values file of 1 GiB, which kaji must refuse without reading it whole.
	path := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 1<<30); err != nil {
		t.Fatal(err)
	}
	res := &spec.Resolved{Dir: filepath.Dir(path)}
	r := spec.ResolvedRelease{Name: "web", Namespace: "web", Values: []spec.ValuesLayer{{File: path}}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := splitValues(res, r)
	runtime.ReadMemStats(&after)
	var tooLarge *spec.FileTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("splitValues with a 1 GiB values file: %v; want a *spec.FileTooLargeError", err)
	}
	// The merge refuses the file too, so the error alone cannot tell whether it was read.
	if read := after.TotalAlloc - before.TotalAlloc; read > 64<<20 {
		t.Errorf("splitValues allocated %d MiB for a values file it refuses; want it cut off at spec.MaxFileSize", read>>20)
	}
}
