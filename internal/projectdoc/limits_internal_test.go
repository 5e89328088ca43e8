package projectdoc

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"kaji.dev/kaji/internal/spec"
)

// hugeValuesFile is a sparse values file of 1 GiB, which kaji must refuse without reading it
// whole.
func hugeValuesFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 1<<30); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAValuesFileTooLargeIsRefusedAsEverywhereElse(t *testing.T) {
	path := hugeValuesFile(t)
	res := &spec.Resolved{Dir: filepath.Dir(path)}
	r := spec.ResolvedRelease{Name: "web", Values: []spec.ValuesLayer{{File: path}}}
	_, err := readLayers(res, r)
	var tooLarge *spec.FileTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("readLayers with a 1 GiB values file: %v; want a *spec.FileTooLargeError", err)
	}
}
