package chart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"helm.sh/helm/v4/pkg/registry"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// loadOCI loads a chart from an OCI registry, through the digest-keyed cache.
func (l *Loader) loadOCI(ctx context.Context, r reference, version string) (*Loaded, error) {
	cacheDir, err := l.cache()
	if err != nil {
		return nil, err
	}
	o := r.oci
	c := ociCache{dir: ociCacheDir(cacheDir, o.repository)}

	if o.digest != "" {
		loaded, err := l.loadOCIDigest(ctx, c, o, cacheDir)
		if err != nil {
			return nil, err
		}
		if !matches(loaded.Version, version) {
			return nil, fmt.Errorf("%s has version %s, which does not match version %q (change the version or the digest in kaji.yaml)",
				o, loaded.Version, version)
		}
		return loaded, nil
	}

	tag := o.tag
	switch {
	case tag != "" && !matches(tagVersion(tag), version):
		return nil, fmt.Errorf("the chart reference has tag %s, which does not match version %q "+
			"(remove the tag from the chart, or the version)", tag, version)
	case tag == "" && isExact(version):
		tag = version
	case tag == "":
		tag, err = l.resolveOCITag(ctx, c, o, version)
		if err != nil {
			return nil, err
		}
	}
	tag = strings.ReplaceAll(tag, "+", "_") // OCI tags cannot hold '+'; Helm pushes it as '_'.
	o.tag = tag

	unlock, err := l.files.lock(ctx, c.dir+"\x00"+tag)
	if err != nil {
		return nil, err
	}
	defer unlock()

	if m, ok := c.tag(tag); ok {
		loaded, err := c.load(m)
		switch {
		case err == nil:
			l.log.Debug("OCI chart found in cache", "ref", o.String(), "digest", m)
			loaded.URL = o.String()
			return loaded, nil
		case !errors.Is(err, errNotCached):
			return nil, err
		}
	}
	if l.offline {
		return nil, &NotCachedError{What: "chart " + o.String(), CacheDir: cacheDir}
	}
	return l.pullOCI(ctx, c, o)
}

// loadOCIDigest loads oci://repository@digest from the cache, or pulls it.
func (l *Loader) loadOCIDigest(ctx context.Context, c ociCache, o ociRef, cacheDir string) (*Loaded, error) {
	unlock, err := l.files.lock(ctx, c.dir+"\x00"+o.digest)
	if err != nil {
		return nil, err
	}
	defer unlock()
	loaded, err := c.load(o.digest)
	switch {
	case err == nil:
		loaded.URL = o.String()
		return loaded, nil
	case !errors.Is(err, errNotCached):
		return nil, err
	}
	if l.offline {
		return nil, &NotCachedError{What: "chart " + o.String(), CacheDir: cacheDir}
	}
	o.tag = "" // the digest decides
	return l.pullOCI(ctx, c, o)
}

// resolveOCITag picks the newest tag of the repository that satisfies version: from the
// registry (listed once per Loader), or from the cached tags in offline mode.
func (l *Loader) resolveOCITag(ctx context.Context, c ociCache, o ociRef, version string) (string, error) {
	versions, err := l.ociVersions(ctx, c, o)
	if err != nil {
		return "", err
	}
	tag, ok := pickVersion(versions, version)
	if !ok {
		return "", &NoMatchingVersionError{Chart: ociPrefix + o.repository, Constraint: version, Newest: firstN(newestFirst(versions), 5)}
	}
	return tag, nil
}

// ociVersions lists the tags of o's repository: from the registry (listed once per Loader), or
// from the cached tags in offline mode.
func (l *Loader) ociVersions(ctx context.Context, c ociCache, o ociRef) ([]string, error) {
	if l.offline {
		versions := c.versions()
		if len(versions) == 0 {
			return nil, &NotCachedError{What: "any version of " + ociPrefix + o.repository, CacheDir: l.cacheDir}
		}
		return versions, nil
	}
	client, err := l.registryClient()
	if err != nil {
		return nil, err
	}
	return l.tags.do(ctx, o.repository, func() ([]string, error) {
		l.log.Debug("listing OCI tags", "repository", o.repository)
		tags, err := withContext(ctx, func() ([]string, error) { return client.Tags(o.repository) })
		if err != nil && !isContextErr(err) {
			return nil, l.registryError(ctx, o.repository, ociPrefix+o.repository+" (tag list)", err)
		}
		return tags, err
	})
}

// pullOCI pulls o (by tag or by digest), checks the chart layer's digest and caches it.
func (l *Loader) pullOCI(ctx context.Context, c ociCache, o ociRef) (*Loaded, error) {
	client, err := l.registryClient()
	if err != nil {
		return nil, err
	}
	ref := o.repository
	if o.digest != "" {
		ref += "@" + o.digest
	} else {
		ref += ":" + o.tag
	}
	l.log.Debug("pulling OCI chart", "ref", ref)
	res, err := withContext(ctx, func() (*registry.PullResult, error) { return client.Pull(ref) })
	if err != nil {
		if isContextErr(err) {
			return nil, err
		}
		return nil, l.registryError(ctx, o.repository, ociPrefix+ref, err)
	}
	if got := sha256Digest(res.Chart.Data); normalizeDigest(res.Chart.Digest) != got {
		return nil, &DigestMismatchError{URL: ociPrefix + ref, Want: res.Chart.Digest, Got: got}
	}
	if o.digest != "" && res.Manifest.Digest != o.digest {
		return nil, &DigestMismatchError{URL: ociPrefix + ref, Want: o.digest, Got: res.Manifest.Digest}
	}
	version := ""
	if res.Chart.Meta != nil {
		version = res.Chart.Meta.Version
	}
	if err := c.put(o.tag, res.Manifest.Digest, manifestEntry{ChartDigest: res.Chart.Digest, Version: version}, res.Chart.Data); err != nil {
		return nil, err
	}
	loaded, err := c.load(res.Manifest.Digest)
	if err != nil {
		return nil, fmt.Errorf("load the pulled chart %s from the cache %s (check the cache directory): %w", ociPrefix+ref, c.dir, err)
	}
	loaded.URL = o.String()
	loaded.Cached = false
	return loaded, nil
}

// registryError turns an error of the registry client about repository into a *FetchError
// with the HTTP status the registry answered, when there is one, and what the RegistryAuth
// says about a refusal.
func (l *Loader) registryError(ctx context.Context, repository, url string, err error) *FetchError {
	if rae, ok := asRegistryAuthError(err); ok {
		return &FetchError{URL: url, Err: rae}
	}
	fe := &FetchError{URL: url, Err: err}
	var resp *errcode.ErrorResponse
	switch {
	case errors.As(err, &resp):
		fe.StatusCode = resp.StatusCode
	case errors.Is(err, errdef.ErrNotFound):
		fe.StatusCode = http.StatusNotFound
	}
	fe.Hint = l.refusedHint(ctx, repository, fe.StatusCode)
	return fe
}

// tagVersion turns an OCI tag back into a chart version.
func tagVersion(tag string) string {
	return strings.ReplaceAll(tag, "_", "+")
}
