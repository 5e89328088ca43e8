package chart

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Pin fixes the chart of a release to one exact version with known content, as kaji.lock
// records it.
type Pin struct {
	// Version is the exact chart version.
	Version string
	// Digest is "sha256:<hex>": of the chart archive for a chart repository, of the OCI
	// manifest for a registry.
	Digest string
}

// LoadPinned loads the chart ref (repo/name or an oci:// reference; a local chart has nothing
// to pin) at exactly pin.Version, and refuses it with a *PinMismatchError, naming both
// digests, unless its content has pin.Digest. A cached chart with that digest is loaded
// without any request; anything else is checked against the repository before it is used.
func (l *Loader) LoadPinned(ctx context.Context, ref string, pin Pin) (*Loaded, error) {
	loaded, err := l.loadPinned(ctx, ref, pin)
	if err != nil {
		return nil, fmt.Errorf("load chart %s %s: %w", ref, pin.Version, err)
	}
	return loaded, nil
}

func (l *Loader) loadPinned(ctx context.Context, ref string, pin Pin) (*Loaded, error) {
	if !isExact(pin.Version) {
		return nil, fmt.Errorf("the pinned version %q is not an exact version (run kaji lock to pin the release again)", pin.Version)
	}
	digest := normalizeDigest(pin.Digest)
	if digest == "" {
		return nil, fmt.Errorf("the pinned digest %q is not sha256:<64 hex digits> (run kaji lock to pin the release again)", pin.Digest)
	}
	r, err := l.parseRef(ref)
	if err != nil {
		return nil, err
	}
	switch r.kind {
	case SourceLocal:
		return nil, fmt.Errorf("a local chart is not pinned (load it with its version from kaji.yaml)")
	case SourceRepo:
		return l.loadRepo(ctx, r, pin.Version, digest)
	default:
		return l.loadOCIPinned(ctx, r.oci, pin.Version, digest)
	}
}

// loadOCIPinned loads the OCI chart o at version, whose manifest must have the digest pin:
// from the digest-keyed cache, or pulled by its tag (or by the digest of the reference) and
// compared.
func (l *Loader) loadOCIPinned(ctx context.Context, o ociRef, version, pin string) (*Loaded, error) {
	if o.digest != "" && o.digest != pin {
		return nil, &PinMismatchError{Chart: ociPrefix + o.repository, Version: version, Pinned: pin, Got: o.digest, Seen: "the chart reference"}
	}
	if o.tag != "" && tagVersion(o.tag) != version {
		return nil, fmt.Errorf("the chart reference has tag %s, but the pinned version is %s (run kaji lock to pin the release again)", o.tag, version)
	}
	cacheDir, err := l.cache()
	if err != nil {
		return nil, err
	}
	c := ociCache{dir: ociCacheDir(cacheDir, o.repository)}
	if o.digest == "" {
		o.tag = strings.ReplaceAll(version, "+", "_") // OCI tags cannot hold '+'; Helm pushes it as '_'.
	}
	unlock, err := l.files.lock(ctx, c.dir+"\x00"+o.tag)
	if err != nil {
		return nil, err
	}
	defer unlock()

	loaded, err := c.load(pin)
	switch {
	case err == nil:
		l.log.Debug("pinned OCI chart found in cache", "ref", o.String(), "digest", pin)
	case !errors.Is(err, errNotCached):
		return nil, err
	case l.offline:
		return nil, &NotCachedError{What: "chart " + o.String() + withDigest(pin), CacheDir: cacheDir}
	default:
		if loaded, err = l.pullOCI(ctx, c, o); err != nil {
			return nil, err
		}
		if loaded.ManifestDigest != pin {
			return nil, &PinMismatchError{Chart: ociPrefix + o.repository, Version: version, Pinned: pin, Got: loaded.ManifestDigest, Seen: o.String()}
		}
	}
	if loaded.Version != version {
		return nil, fmt.Errorf("the manifest %s of %s holds version %s, not the pinned %s (run kaji lock to pin the release again)",
			pin, ociPrefix+o.repository, loaded.Version, version)
	}
	loaded.URL = o.String()
	return loaded, nil
}

// PinMismatchError is a chart whose content differs from the digest it is pinned to: the same
// version was published again with other content, or is being tampered with.
type PinMismatchError struct {
	// Chart is the chart as kaji found it: repo/name or oci://host/path/name.
	Chart string
	// Version is the pinned version.
	Version string
	// Pinned is the digest of the pin; Got is the digest found.
	Pinned, Got string
	// Seen says where Got was seen: a download URL, a repository index, an OCI reference.
	Seen string
	// Release is the release that pins the chart, when the caller knows it: the hint names it.
	Release string
}

func (e *PinMismatchError) Error() string {
	relock := "run kaji lock for the release"
	if e.Release != "" {
		relock = "run kaji lock " + e.Release
	}
	return fmt.Sprintf("%s %s has digest %s (from %s), but kaji.lock pins digest %s: the version was published again "+
		"with other content, so it is refused (check with the chart's owner; to accept the new content, %s)",
		e.Chart, e.Version, e.Got, e.Seen, e.Pinned, relock)
}

// Location is where a repository or registry chart lives, independently of the name a
// kaji.yaml gives the repository.
type Location struct {
	// Source is SourceRepo or SourceOCI.
	Source Source
	// Repository is the chart repository URL without credentials and without a trailing
	// slash, or the registry path that holds the chart, as oci://host/path.
	Repository string
	// Name is the chart name.
	Name string
	// Version is the version an oci:// reference fixes with its tag, or empty.
	Version string
	// Digest is the manifest digest an oci:// reference fixes, or empty.
	Digest string
}

// Locate says where the chart ref (repo/name or an oci:// reference) lives, without any request.
// A local chart has no location: it is an error.
func (l *Loader) Locate(ref string) (Location, error) {
	r, err := l.parseRef(ref)
	if err != nil {
		return Location{}, err
	}
	switch r.kind {
	case SourceLocal:
		return Location{}, fmt.Errorf("chart %s is a local chart, which has no repository", ref)
	case SourceRepo:
		return Location{Source: SourceRepo, Repository: strings.TrimSuffix(cacheKeyURL(r.repoURL), "/"), Name: r.name}, nil
	default:
		i := strings.LastIndex(r.oci.repository, "/")
		loc := Location{Source: SourceOCI, Repository: ociPrefix + r.oci.repository[:i], Name: r.oci.repository[i+1:], Digest: r.oci.digest}
		if r.oci.tag != "" {
			loc.Version = tagVersion(r.oci.tag)
		}
		return loc, nil
	}
}

// Satisfies reports whether the exact version v satisfies version: an exact version, a
// semver constraint, or empty (any version), as Load reads them.
func Satisfies(v, version string) bool {
	return matches(v, version)
}

// hasDigest reports whether the file at path has the digest d.
func hasDigest(path, d string) bool {
	got, err := fileDigest(path)
	return err == nil && got == d
}

// withDigest is " with digest d" for the pinned digest d, or "" when there is none.
func withDigest(d string) string {
	if d == "" {
		return ""
	}
	return " with digest " + d
}
