package chart

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/registry"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// Source says where a chart came from.
type Source string

const (
	// SourceLocal is a local chart directory or archive.
	SourceLocal Source = "local"
	// SourceRepo is an https (or http) chart repository with an index.yaml.
	SourceRepo Source = "repo"
	// SourceOCI is an OCI registry.
	SourceOCI Source = "oci"
)

// Options configure a Loader. The zero value is usable.
type Options struct {
	// CacheDir holds repository indexes and chart archives. Empty means os.UserCacheDir()/kaji.
	CacheDir string
	// Repositories maps a repository name to its URL: an https:// (or http://) chart
	// repository, or an oci:// registry base. It is copied.
	Repositories map[string]string
	// HTTPClient fetches from chart repositories. Nil means a client with Go's default
	// transport (which honours HTTPS_PROXY and friends). When set, the default registry
	// client uses it too.
	HTTPClient *http.Client
	// RegistryClient talks to OCI registries. Nil means a Helm registry client that reads the
	// credentials of `helm registry login` and of Docker.
	RegistryClient *registry.Client
	// RegistryAuth gives the default registry client the credentials of the registries it
	// knows (asked only when a registry asks for credentials); the others still get those of
	// `helm registry login` and Docker. It is ignored when RegistryClient is set.
	RegistryAuth RegistryAuth
	// PlainHTTP makes the default registry client talk plain HTTP, for local test
	// registries. It is ignored when RegistryClient is set.
	PlainHTTP bool
	// Offline uses only the disk cache: nothing is downloaded, and a chart that is not
	// cached is a *NotCachedError.
	Offline bool
	// Logger receives debug messages. Nil discards them.
	Logger *slog.Logger
}

// Loaded is a loaded chart and where it came from.
type Loaded struct {
	// Chart is freshly loaded on every Load call, so the caller may modify it.
	Chart *chartv2.Chart
	// Source says whether the chart is local, from a chart repository or from a registry.
	Source Source
	// Version is the exact version loaded (the version in Chart.yaml).
	Version string
	// Digest is "sha256:<hex>" of the chart archive; empty for a local directory.
	Digest string
	// ManifestDigest is the OCI manifest digest (what oci://...@digest pins); empty unless
	// Source is SourceOCI.
	ManifestDigest string
	// URL is where the chart is downloaded from: the archive URL (without credentials) or
	// oci://host/repository:tag (or @digest). Empty for a local chart.
	URL string
	// Path is the local file used: the chart directory or archive, or the cached archive.
	Path string
	// Cached is true when a remote chart came from the disk cache without being downloaded.
	Cached bool
}

// Loader finds, downloads, caches and loads charts. It is safe for concurrent use; create one
// per run so that every repository index is fetched at most once.
type Loader struct {
	repos    map[string]string
	offline  bool
	http     *http.Client
	log      *slog.Logger
	cacheDir string
	cacheErr error

	regOpts Options
	regOnce sync.Once
	reg     *registry.Client
	regErr  error

	indexes memo[*repo.IndexFile] // by repository URL
	tags    memo[[]string]        // by OCI repository
	files   keyLock               // by cache file path
}

// NewLoader returns a Loader.
func NewLoader(opts Options) *Loader {
	l := &Loader{
		repos:   maps.Clone(opts.Repositories),
		offline: opts.Offline,
		http:    opts.HTTPClient,
		log:     opts.Logger,
		regOpts: opts,
	}
	if l.repos == nil {
		l.repos = map[string]string{}
	}
	if l.http == nil {
		l.http = &http.Client{}
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	l.cacheDir = opts.CacheDir
	if l.cacheDir == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			l.cacheErr = fmt.Errorf("find the user cache directory (set a cache directory explicitly): %w", err)
		} else {
			l.cacheDir = filepath.Join(dir, "kaji")
		}
	}
	return l
}

// Load finds the chart ref (a local path, repo/name, or oci:// reference) at version (exact,
// a constraint, or empty for the newest stable version) and loads it.
func (l *Loader) Load(ctx context.Context, ref, version string) (*Loaded, error) {
	loaded, err := l.load(ctx, ref, version)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", ref, err)
	}
	return loaded, nil
}

func (l *Loader) load(ctx context.Context, ref, version string) (*Loaded, error) {
	if err := checkConstraint(version); err != nil {
		return nil, err
	}
	r, err := l.parseRef(ref)
	if err != nil {
		return nil, err
	}
	switch r.kind {
	case SourceLocal:
		return loadLocal(r.path, version)
	case SourceRepo:
		return l.loadRepo(ctx, r, version, "")
	default:
		return l.loadOCI(ctx, r, version)
	}
}

// cache returns the cache directory, or why there is none.
func (l *Loader) cache() (string, error) {
	return l.cacheDir, l.cacheErr
}

// registryClient returns the registry client, building the default one on first use.
func (l *Loader) registryClient() (*registry.Client, error) {
	l.regOnce.Do(func() {
		if l.regOpts.RegistryClient != nil {
			l.reg = l.regOpts.RegistryClient
			return
		}
		l.reg, l.regErr = newRegistryClient(l.regOpts)
		if l.regErr != nil {
			l.regErr = fmt.Errorf("create the OCI registry client (check the registry credentials files): %w", l.regErr)
		}
	})
	return l.reg, l.regErr
}

// isContextErr reports whether err comes from a cancelled or expired context.
func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
