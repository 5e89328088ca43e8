package chart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Versions lists the versions, newest first, that the repository repoName at repoURL (an
// https:// chart repository or an oci:// registry base) holds of the chart name: the entries
// of its index, or the tags of its OCI repository. The repository need not be among the
// Loader's repositories. A chart the repository does not hold is a *ChartNotFoundError; a
// repository that cannot be read is a *FetchError (or *NotCachedError in offline mode).
func (l *Loader) Versions(ctx context.Context, repoName, repoURL, name string) ([]string, error) {
	r, err := repoReference(repoName, repoURL, name)
	if err != nil {
		return nil, err
	}
	cacheDir, err := l.cache()
	if err != nil {
		return nil, err
	}
	if r.kind == SourceOCI {
		versions, err := l.ociVersions(ctx, ociCache{dir: ociCacheDir(cacheDir, r.oci.repository)}, r.oci)
		var fe *FetchError
		if errors.As(err, &fe) && fe.StatusCode == http.StatusNotFound {
			return nil, &ChartNotFoundError{Repository: repoName, URL: redactURL(repoURL), Name: name}
		}
		if err != nil {
			return nil, err
		}
		return newestFirst(versions), nil
	}
	idx, err := l.index(ctx, r, repoCacheDir(cacheDir, r.repoURL))
	if err != nil {
		return nil, err
	}
	if _, ok := idx.Entries[r.name]; !ok {
		_, err := pickFromIndex(idx, r, "")
		return nil, err
	}
	versions := make([]string, 0, len(idx.Entries[r.name]))
	for _, cv := range idx.Entries[r.name] {
		versions = append(versions, cv.Version)
	}
	return newestFirst(versions), nil
}

// LoadFrom loads the chart name at version (exact, a constraint, or empty for the newest
// stable version) from the repository repoName at repoURL (an https:// chart repository or an
// oci:// registry base), which need not be among the Loader's repositories, through the same
// cache as Load.
func (l *Loader) LoadFrom(ctx context.Context, repoName, repoURL, name, version string) (*Loaded, error) {
	if err := checkConstraint(version); err != nil {
		return nil, err
	}
	r, err := repoReference(repoName, repoURL, name)
	if err != nil {
		return nil, err
	}
	var loaded *Loaded
	if r.kind == SourceOCI {
		loaded, err = l.loadOCI(ctx, r, version)
	} else {
		loaded, err = l.loadRepo(ctx, r, version, "")
	}
	if err != nil {
		return nil, fmt.Errorf("load chart %s from repository %s: %w", name, repoName, err)
	}
	return loaded, nil
}

// repoReference is the reference to chart name in the repository repoName at repoURL.
func repoReference(repoName, repoURL, name string) (reference, error) {
	if name == "" || strings.ContainsAny(name, "/:@") {
		return reference{}, fmt.Errorf("chart name %q is not a plain chart name (write the name alone, without a repository, tag or digest)", name)
	}
	if strings.HasPrefix(repoURL, ociPrefix) {
		o, err := parseOCI(strings.TrimSuffix(repoURL, "/") + "/" + name)
		return reference{kind: SourceOCI, oci: o}, err
	}
	u, err := url.Parse(repoURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return reference{}, fmt.Errorf("repository %s has URL %q, which is neither an https:// chart repository "+
			"nor an oci:// registry (fix the URL)", repoName, redactURL(repoURL))
	}
	return reference{kind: SourceRepo, repoName: repoName, repoURL: repoURL, name: name}, nil
}
