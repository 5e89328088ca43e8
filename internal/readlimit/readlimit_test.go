package readlimit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"kaji.dev/kaji/internal/readlimit/readlimittest"
)

func TestFileReadsUpToTheLimitAndRefusesMore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := File(path, 5); err != nil || string(data) != "12345" {
		t.Errorf("File at its limit = %q, %v; want the whole file", data, err)
	}
	_, err := File(path, 4)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.Path != path || tooLarge.Limit != 4 || err.Error() != "larger than 4 bytes" {
		t.Errorf("File over its limit: %v; want a *TooLargeError for %s, limit 4", err, path)
	}
	if _, err := File(filepath.Join(t.TempDir(), "missing"), 4); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("File of a missing file: %v; want fs.ErrNotExist", err)
	}
}

func TestFileStopsReadingAtTheLimit(t *testing.T) {
	path := readlimittest.HugeFile(t, "huge")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := File(path, 4<<20)
	runtime.ReadMemStats(&after)
	if err == nil || err.Error() != "larger than 4 MiB" {
		t.Fatalf("File of 1 GiB with a limit of 4 MiB: %v; want it refused as larger than 4 MiB", err)
	}
	if read := after.TotalAlloc - before.TotalAlloc; read > 64<<20 {
		t.Errorf("File allocated %d MiB to refuse a file past a 4 MiB limit", read>>20)
	}
}
