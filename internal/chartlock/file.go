package chartlock

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/readlimit"
)

// APIVersion is the schema version of kaji.lock that this build of kaji reads and writes.
const APIVersion = "kaji.dev/lock/v1"

// FileName is the name of the lock file, in the directory of kaji.yaml.
const FileName = "kaji.lock"

// File is the content of kaji.lock.
type File struct {
	// Entries are sorted by release, then environment (the base entry first).
	Entries []Entry
}

// Entry pins the chart of one release, in one environment or in all that have no entry of
// their own.
type Entry struct {
	// Release is the release name.
	Release string
	// Environment is the environment this entry is for; empty for the base entry.
	Environment string
	// Repository is the chart repository URL, without credentials, or oci://host/path.
	Repository string
	// Chart is the chart name.
	Chart string
	// Version is the exact chart version.
	Version string
	// Digest is "sha256:<hex>" of the chart archive (chart repository) or of the OCI manifest.
	Digest string
}

// Key identifies an entry.
type Key struct {
	Release     string
	Environment string
}

// Key returns the entry's key.
func (e Entry) Key() Key { return Key{Release: e.Release, Environment: e.Environment} }

// Pin is the entry as the chart loader takes it.
func (e Entry) Pin() chart.Pin { return chart.Pin{Version: e.Version, Digest: e.Digest} }

func (k Key) String() string {
	if k.Environment == "" {
		return k.Release
	}
	return k.Release + " (environment " + k.Environment + ")"
}

func compareKeys(a, b Key) int {
	return cmp.Or(cmp.Compare(a.Release, b.Release), cmp.Compare(a.Environment, b.Environment))
}

// Get returns the entry with key k.
func (f *File) Get(k Key) (Entry, bool) {
	if f == nil {
		return Entry{}, false
	}
	i, ok := f.find(k)
	if !ok {
		return Entry{}, false
	}
	return f.Entries[i], true
}

// Set adds e, or replaces the entry with its key, keeping the entries sorted.
func (f *File) Set(e Entry) {
	i, ok := f.find(e.Key())
	if ok {
		f.Entries[i] = e
		return
	}
	f.Entries = slices.Insert(f.Entries, i, e)
}

// Delete removes the entry with key k, if there is one.
func (f *File) Delete(k Key) {
	if i, ok := f.find(k); ok {
		f.Entries = slices.Delete(f.Entries, i, i+1)
	}
}

// Clone returns a copy of f that shares nothing with it. A nil File clones to an empty one.
func (f *File) Clone() *File {
	if f == nil {
		return &File{}
	}
	return &File{Entries: slices.Clone(f.Entries)}
}

func (f *File) find(k Key) (int, bool) {
	return slices.BinarySearchFunc(f.Entries, k, func(e Entry, k Key) int { return compareKeys(e.Key(), k) })
}

func (f *File) sort() {
	slices.SortStableFunc(f.Entries, func(a, b Entry) int { return compareKeys(a.Key(), b.Key()) })
}

// PathFor returns the path of kaji.lock beside kaji.yaml, given kaji.yaml's directory.
func PathFor(dir string) string {
	return filepath.Join(dir, FileName)
}

// Read reads and decodes the lock file at path. A file that does not exist is (nil, nil):
// the project is not locked. A file with mistakes is a Problems error listing each with its
// line.
func Read(path string) (*File, error) {
	data, err := readlimit.File(path, MaxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if tooLarge := (*readlimit.TooLargeError)(nil); errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("read %s: %w, far more than kaji lock writes for any project "+
			"(check that it is kaji's lock file, or delete it and run kaji lock to write it again)", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s (check its permissions): %w", path, err)
	}
	return Decode(path, data)
}

// MaxFileSize bounds kaji.lock, as spec.MaxFileSize bounds kaji.yaml: an entry takes about
// 250 bytes, so this holds some 16,000 pinned releases, and a file that grows, or a device
// that never ends, is cut off before it is read whole.
const MaxFileSize = 4 << 20

// Write writes f to path atomically: to a temporary file in the same directory, renamed over
// path, so that a reader never sees half a file and a failed write leaves the old one.
func Write(path string, f *File) error {
	data, err := f.Encode()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s (check that its directory is writable): %w", path, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("write %s (check that its directory is writable): %w", path, err)
	}
	return nil
}
