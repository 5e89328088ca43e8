package projectdoc

import (
	"errors"
	"path/filepath"
	"testing"

	"kaji.dev/kaji/internal/readlimit/readlimittest"
	"kaji.dev/kaji/internal/spec"
)

func TestAValuesFileTooLargeIsRefusedAsEverywhereElse(t *testing.T) {
	path := readlimittest.HugeFile(t, "huge.yaml")
	res := &spec.Resolved{Dir: filepath.Dir(path)}
	r := spec.ResolvedRelease{Name: "web", Values: []spec.ValuesLayer{{File: path}}}
	_, err := readLayers(res, r)
	var tooLarge *spec.FileTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("readLayers with a 1 GiB values file: %v; want a *spec.FileTooLargeError", err)
	}
}
