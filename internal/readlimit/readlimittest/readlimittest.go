// Package readlimittest helps tests of size limits; it is not part of kaji.
package readlimittest

import (
	"os"
	"path/filepath"
	"testing"
)

// HugeFile creates a sparse file of 1 GiB named name in a new temporary directory and returns
// its path: a file that costs no disk but would cost 1 GiB of memory if it were read whole.
func HugeFile(t testing.TB, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 1<<30); err != nil {
		t.Fatal(err)
	}
	return path
}
