package export

import (
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	"kaji.dev/kaji/internal/readlimit/readlimittest"
	"kaji.dev/kaji/internal/spec"
)

func TestAValuesFileTooLargeIsRefusedAsEverywhereElse(t *testing.T) {
	path := readlimittest.HugeFile(t, "huge.yaml")
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
