// Package validcache remembers, on disk between runs, the releases that kaji validate found
// without a finding (validate.Memory), so that apply, plan and validate check again only the
// releases whose chart, values or options changed.
//
// An entry is one small file, named by the key digested with the identity of the kaji binary
// (its version, and the path, size and modification time of its executable): a rebuilt or
// upgraded kaji never reads what another build remembered. Each file holds its own name
// again, so a truncated or corrupted entry reads as unknown. Entries are written to a
// temporary file and renamed into place, so a reader sees a whole entry or none. The number
// of entries is bounded: once per run, on the first write, the oldest (by last use) are
// removed down to three quarters of the bound. A cache that cannot be read or written only
// makes validation check everything, as without it.
package validcache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"kaji.dev/kaji/internal/validate"
)

// DefaultMaxEntries bounds the entries of a cache unless Options.MaxEntries says otherwise:
// at about 100 bytes each, well under 1 MB.
const DefaultMaxEntries = 4096

// Options configure a Cache.
type Options struct {
	// Dir holds the entries. Empty means os.UserCacheDir()/kaji/validate.
	Dir string
	// Identity names the kaji that validated: a key remembered under one identity is unknown
	// under another. Empty means Binary().
	Identity string
	// MaxEntries bounds the entries kept. Zero means DefaultMaxEntries.
	MaxEntries int
	// Now is the clock of last uses; nil means time.Now.
	Now func() time.Time
}

// Cache is a validate.Memory on disk. It is safe for concurrent use, by goroutines and by
// processes.
type Cache struct {
	opts  Options
	prune sync.Once
}

var _ validate.Memory = (*Cache)(nil)

// Open returns the cache in opts.Dir, making the directory if needed.
func Open(opts Options) (*Cache, error) {
	if opts.Dir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("find the user cache directory for validation results (set XDG_CACHE_HOME or HOME): %w", err)
		}
		opts.Dir = filepath.Join(dir, "kaji", "validate")
	}
	if opts.Identity == "" {
		opts.Identity = Binary()
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("make the validation cache %s: %w", opts.Dir, err)
	}
	return &Cache{opts: opts}, nil
}

// name is the file name of key k: k digested with the identity.
func (c *Cache) name(k validate.Key) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s\n", len(c.opts.Identity), c.opts.Identity)
	h.Write(k[:])
	return hex.EncodeToString(h.Sum(nil))
}

// entry is what an entry's file holds.
func entry(name string) []byte { return []byte("clean " + name + "\n") }

// Clean reports whether k was remembered, and marks it used.
func (c *Cache) Clean(k validate.Key) bool {
	name := c.name(k)
	path := filepath.Join(c.opts.Dir, name)
	data, err := os.ReadFile(path)
	if err != nil || string(data) != string(entry(name)) {
		return false
	}
	now := c.opts.Now()
	_ = os.Chtimes(path, now, now) // the last use orders pruning; a failure only ages it
	return true
}

// RememberClean records k. A failure to write is not an error: the release is checked again
// next time.
func (c *Cache) RememberClean(k validate.Key) {
	c.prune.Do(c.pruneOldest)
	name := c.name(k)
	tmp, err := os.CreateTemp(c.opts.Dir, ".tmp-"+name+"-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(entry(name))
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		_ = os.Remove(tmp.Name())
		return
	}
	now := c.opts.Now()
	_ = os.Chtimes(tmp.Name(), now, now)
	if err := os.Rename(tmp.Name(), filepath.Join(c.opts.Dir, name)); err != nil {
		_ = os.Remove(tmp.Name())
	}
}

// pruneOldest removes the least recently used entries when there are more than MaxEntries,
// down to three quarters of it, and temporary files left by a run that was killed.
func (c *Cache) pruneOldest() {
	des, err := os.ReadDir(c.opts.Dir)
	if err != nil {
		return
	}
	type aged struct {
		path string
		used time.Time
	}
	var entries []aged
	for _, de := range des {
		info, err := de.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		path := filepath.Join(c.opts.Dir, de.Name())
		if strings.HasPrefix(de.Name(), ".tmp-") {
			if c.opts.Now().Sub(info.ModTime()) > time.Hour {
				_ = os.Remove(path)
			}
			continue
		}
		entries = append(entries, aged{path, info.ModTime()})
	}
	if len(entries) <= c.opts.MaxEntries {
		return
	}
	slices.SortFunc(entries, func(a, b aged) int { return a.used.Compare(b.used) })
	for _, e := range entries[:len(entries)-c.opts.MaxEntries*3/4] {
		if err := os.Remove(e.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return
		}
	}
}
