package validcache

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"kaji.dev/kaji/internal/validate"
)

func open(t *testing.T, dir, identity string, max int, now time.Time) *Cache {
	t.Helper()
	c, err := Open(Options{Dir: dir, Identity: identity, MaxEntries: max, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func key(b byte) validate.Key { return validate.Key{b} }

// A key remembered is known to the next run of the same kaji, and unknown to another kaji.
func TestRememberedAcrossRunsOfTheSameKaji(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	open(t, dir, "kaji 1", 0, now).RememberClean(key(1))
	next := open(t, dir, "kaji 1", 0, now)
	if !next.Clean(key(1)) {
		t.Error("key 1 unknown to the next run")
	}
	if next.Clean(key(2)) {
		t.Error("key 2 known, never remembered")
	}
	if open(t, dir, "kaji 2", 0, now).Clean(key(1)) {
		t.Error("key 1 known to another kaji")
	}
}

// A truncated, emptied or foreign entry reads as unknown, and is written whole again.
func TestCorruptEntriesAreUnknown(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	c := open(t, dir, "kaji", 0, now)
	c.RememberClean(key(1))
	path := filepath.Join(dir, c.name(key(1)))
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{nil, whole[:len(whole)/2], []byte("clean " + c.name(key(2)) + "\n")} {
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if c.Clean(key(1)) {
			t.Errorf("entry %q read as clean", bad)
		}
	}
	c.RememberClean(key(1))
	if !c.Clean(key(1)) {
		t.Error("key 1 unknown after it was remembered again")
	}
	tmps, err := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	if err != nil || len(tmps) != 0 {
		t.Errorf("temporary files left: %v %v", tmps, err)
	}
}

// Past MaxEntries, the least recently used entries go, down to three quarters of the bound,
// on the first write of a run; an entry used lately stays.
func TestEntriesAreBounded(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for i := range 9 { // the bound is not passed: 8 entries before the last write
		open(t, dir, "kaji", 8, start.Add(time.Duration(i)*time.Minute)).RememberClean(key(byte(i)))
	}
	// Key 0, the oldest written, is used last.
	if !open(t, dir, "kaji", 8, start.Add(time.Hour)).Clean(key(0)) {
		t.Fatal("key 0 was pruned before the bound was passed")
	}
	open(t, dir, "kaji", 8, start.Add(2*time.Hour)).RememberClean(key(9))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 7 {
		t.Errorf("%d entries, want 7 (6 of 9 kept, then key 9 written)", len(entries))
	}
	c := open(t, dir, "kaji", 8, start.Add(3*time.Hour))
	for i, want := range map[int]bool{0: true, 9: true, 8: true, 4: true, 1: false, 3: false} {
		if got := c.Clean(key(byte(i))); got != want {
			t.Errorf("key %d known %v, want %v", i, got, want)
		}
	}
}
