package chart

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// loadRepo loads repo/name from an https chart repository, through the archive cache. A pin
// (the archive digest kaji.lock records, for an exact version) must match what is loaded.
func (l *Loader) loadRepo(ctx context.Context, r reference, version, pin string) (*Loaded, error) {
	cacheDir, err := l.cache()
	if err != nil {
		return nil, err
	}
	dir := repoCacheDir(cacheDir, r.repoURL)
	chartName := r.repoName + "/" + r.name

	// An exact version already in the cache needs neither the index nor the network.
	if isExact(version) {
		path := archivePath(dir, r.name, version)
		if isFile(path) && (pin == "" || hasDigest(path, pin)) {
			l.log.Debug("chart archive found in cache", "chart", chartName, "version", version, "path", path)
			return loadArchive(path, SourceRepo, readOrigin(path), true)
		}
		if l.offline {
			return nil, &NotCachedError{What: fmt.Sprintf("chart %s %s%s", chartName, version, withDigest(pin)), CacheDir: cacheDir}
		}
	}

	idx, err := l.index(ctx, r, dir)
	if err != nil {
		return nil, err
	}
	cv, err := pickFromIndex(idx, r, version)
	if err != nil {
		return nil, err
	}
	if len(cv.URLs) == 0 {
		return nil, fmt.Errorf("the index of repository %s lists %s %s without a download URL (ask the repository owner)",
			r.repoName, r.name, cv.Version)
	}
	u, err := repo.ResolveReferenceURL(r.repoURL, cv.URLs[0])
	if err != nil {
		return nil, fmt.Errorf("the index of repository %s has an invalid URL for %s %s (ask the repository owner): %w",
			r.repoName, r.name, cv.Version, err)
	}
	path := archivePath(dir, r.name, cv.Version)
	want := normalizeDigest(cv.Digest)
	if pin != "" && want != "" && want != pin {
		return nil, &PinMismatchError{Chart: chartName, Version: cv.Version, Pinned: pin, Got: want, Seen: "the index of repository " + r.repoName}
	}

	unlock, err := l.files.lock(ctx, path)
	if err != nil {
		return nil, err
	}
	defer unlock()

	if isFile(path) {
		got, err := fileDigest(path)
		if err != nil {
			return nil, err
		}
		if (pin == "" && (want == "" || got == want)) || (pin != "" && got == pin) {
			l.log.Debug("chart archive found in cache", "chart", chartName, "version", cv.Version, "path", path)
			return loadArchive(path, SourceRepo, redactURL(u), true)
		}
		l.log.Debug("cached chart archive differs from the index; downloading it again",
			"chart", chartName, "version", cv.Version, "cached", got, "index", want)
	}
	if l.offline {
		return nil, &NotCachedError{What: fmt.Sprintf("chart %s %s", chartName, cv.Version), CacheDir: cacheDir}
	}

	l.log.Debug("downloading chart archive", "chart", chartName, "version", cv.Version, "url", redactURL(u))
	data, err := l.get(ctx, u, maxArchiveStream())
	if err != nil {
		return nil, err
	}
	got := sha256Digest(data)
	if pin != "" && got != pin {
		return nil, &PinMismatchError{Chart: chartName, Version: cv.Version, Pinned: pin, Got: got, Seen: redactURL(u)}
	}
	if want != "" && got != want {
		return nil, &DigestMismatchError{URL: redactURL(u), Want: want, Got: got}
	}
	if err := writeFileAtomic(path, data); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path+originSuffix, []byte(redactURL(u)+"\n")); err != nil {
		return nil, err
	}
	return loadArchive(path, SourceRepo, redactURL(u), false)
}

// pickFromIndex selects the version of r.name in idx that satisfies version.
func pickFromIndex(idx *repo.IndexFile, r reference, version string) (*repo.ChartVersion, error) {
	versions, ok := idx.Entries[r.name]
	if !ok {
		names := make([]string, 0, len(idx.Entries))
		for n := range idx.Entries {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, &ChartNotFoundError{
			Repository: r.repoName,
			URL:        redactURL(r.repoURL),
			Name:       r.name,
			Similar:    closest(r.name, names, 5),
		}
	}
	cv, err := idx.Get(r.name, version)
	if err != nil {
		all := make([]string, 0, len(versions))
		for _, v := range versions {
			all = append(all, v.Version)
		}
		return nil, &NoMatchingVersionError{
			Chart:      r.repoName + "/" + r.name,
			Constraint: version,
			Newest:     firstN(newestFirst(all), 5),
		}
	}
	return cv, nil
}

// originSuffix names the file, next to a cached archive, that records where it was downloaded.
const originSuffix = ".url"

// readOrigin returns the URL a cached archive was downloaded from, or "" if unknown.
func readOrigin(archive string) string {
	data, err := os.ReadFile(archive + originSuffix)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// archivePath is the cache file of one version of a chart of a repository.
func archivePath(repoDir, name, version string) string {
	return filepath.Join(repoDir, "charts", safeName(name)+"-"+safeName(version)+".tgz")
}

// loadArchive loads a chart archive from the cache.
func loadArchive(path string, src Source, url string, cached bool) (*Loaded, error) {
	digest, err := fileDigest(path)
	if err != nil {
		return nil, fmt.Errorf("read cached chart (delete %s and try again): %w", path, err)
	}
	if err := checkArchive(path); err != nil {
		return nil, err
	}
	ch, err := loader.LoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load chart archive %s (delete it to download it again): %w", path, err)
	}
	return &Loaded{
		Chart:   ch,
		Source:  src,
		Version: ch.Metadata.Version,
		Digest:  digest,
		URL:     url,
		Path:    path,
		Cached:  cached,
	}, nil
}
