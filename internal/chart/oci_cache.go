package chart

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// errNotCached is what ociCache.load returns when the cache lacks an entry or holds a broken one.
var errNotCached = errors.New("not cached")

// ociCache is the cache of one OCI repository: tags point to manifest digests, manifests to
// chart digests, and chart archives are stored by their digest.
type ociCache struct {
	dir string
}

// manifestEntry is what the cache keeps about one pulled manifest.
type manifestEntry struct {
	ChartDigest string `json:"chartDigest"`
	Version     string `json:"version"`
}

func ociCacheDir(cacheDir, repository string) string {
	return filepath.Join(cacheDir, "oci", dirKey(repository))
}

func digestFile(d string) string {
	return safeName(strings.Replace(d, ":", "-", 1))
}

func (c ociCache) tagPath(tag string) string {
	return filepath.Join(c.dir, "tags", safeName(tag))
}

func (c ociCache) manifestPath(d string) string {
	return filepath.Join(c.dir, "manifests", digestFile(d)+".json")
}

func (c ociCache) blobPath(d string) string {
	return filepath.Join(c.dir, "blobs", digestFile(d)+".tgz")
}

// tag returns the manifest digest a cached tag points to.
func (c ociCache) tag(tag string) (string, bool) {
	data, err := os.ReadFile(c.tagPath(tag))
	if err != nil {
		return "", false
	}
	d := strings.TrimSpace(string(data))
	return d, d != ""
}

// versions lists the chart versions of the cached tags.
func (c ociCache) versions() []string {
	entries, err := os.ReadDir(filepath.Join(c.dir, "tags"))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			out = append(out, tagVersion(e.Name()))
		}
	}
	return out
}

// load loads the chart of a cached manifest, checking the archive against its digest. A missing
// or damaged entry is errNotCached, so that the caller pulls it again.
func (c ociCache) load(manifestDigest string) (*Loaded, error) {
	data, err := os.ReadFile(c.manifestPath(manifestDigest))
	if err != nil {
		return nil, errNotCached
	}
	var m manifestEntry
	if err := json.Unmarshal(data, &m); err != nil || normalizeDigest(m.ChartDigest) == "" {
		return nil, errNotCached
	}
	blob := c.blobPath(m.ChartDigest)
	if got, err := fileDigest(blob); err != nil || got != normalizeDigest(m.ChartDigest) {
		return nil, errNotCached
	}
	loaded, err := loadArchive(blob, SourceOCI, "", true)
	if err != nil {
		return nil, err
	}
	loaded.ManifestDigest = manifestDigest
	return loaded, nil
}

// put stores a pulled chart: the archive first, then the manifest, then the tag (if any), so
// that every entry points to data that is already there.
func (c ociCache) put(tag, manifestDigest string, m manifestEntry, chartData []byte) error {
	if err := writeFileAtomic(c.blobPath(m.ChartDigest), chartData); err != nil {
		return err
	}
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode cache entry: %w", err)
	}
	if err := writeFileAtomic(c.manifestPath(manifestDigest), data); err != nil {
		return err
	}
	if tag == "" {
		return nil
	}
	return writeFileAtomic(c.tagPath(tag), []byte(manifestDigest+"\n"))
}
