package chart

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/repo/v1/repotest"
)

var testCharts = map[string][]string{
	"alpha": {"0.1.0", "0.2.0", "1.0.0", "1.1.0-rc.1"},
	"beta":  {"2.0.0"},
}

func TestRepoResolvesVersions(t *testing.T) {
	r := newChartRepo(t, testCharts)
	l := NewLoader(Options{CacheDir: t.TempDir(), Repositories: map[string]string{"stable": r.url()}})

	tests := []struct{ chart, version, want string }{
		{"stable/alpha", "", "1.0.0"}, // newest stable: the pre-release is skipped
		{"stable/alpha", "0.2.0", "0.2.0"},
		{"stable/alpha", "~0.1", "0.1.0"},
		{"stable/alpha", "^0", "0.2.0"},
		{"stable/alpha", ">=1.1.0-0", "1.1.0-rc.1"},
		{"stable/alpha", "1.1.0-rc.1", "1.1.0-rc.1"},
		{"stable/beta", ">=1", "2.0.0"},
	}
	for _, tt := range tests {
		t.Run(tt.chart+"@"+tt.version, func(t *testing.T) {
			got, err := l.Load(t.Context(), tt.chart, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != tt.want || got.Chart.Metadata.Version != tt.want {
				t.Errorf("version = %s (Chart.yaml %s), want %s", got.Version, got.Chart.Metadata.Version, tt.want)
			}
			name := strings.TrimPrefix(tt.chart, "stable/")
			if got.Source != SourceRepo || got.Chart.Metadata.Name != name {
				t.Errorf("got %s chart %s, want repo chart %s", got.Source, got.Chart.Metadata.Name, name)
			}
			wantURL := r.url() + "/" + name + "-" + tt.want + ".tgz" // relative index URL resolved against the repo
			if got.URL != wantURL {
				t.Errorf("url = %s, want %s", got.URL, wantURL)
			}
			data, err := os.ReadFile(filepath.Join(r.docroot, name+"-"+tt.want+".tgz"))
			if err != nil {
				t.Fatal(err)
			}
			if want := sha256Digest(data); got.Digest != want {
				t.Errorf("digest = %s, want %s", got.Digest, want)
			}
		})
	}
}

func TestRepoIndexFetchedOncePerLoader(t *testing.T) {
	r := newChartRepo(t, testCharts)
	l := NewLoader(Options{CacheDir: t.TempDir(), Repositories: map[string]string{
		"stable": r.url(),
		"same":   r.url(), // another name for the same URL shares the index
	}})

	loads := []struct{ chart, version string }{
		{"stable/alpha", "^0"}, {"stable/alpha", "^0"}, {"stable/alpha", ""}, {"stable/beta", ""},
		{"same/alpha", "~0.2"}, {"stable/beta", ">=2"}, {"stable/alpha", "^1"}, {"same/beta", ""},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(loads))
	for i, ld := range loads {
		wg.Go(func() {
			_, errs[i] = l.Load(t.Context(), ld.chart, ld.version)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := r.requests("/stable/index.yaml"); n != 1 {
		t.Errorf("index.yaml fetched %d times, want 1", n)
	}
	// Three distinct archives (alpha 0.2.0, alpha 1.0.0, beta 2.0.0), each downloaded once.
	for _, f := range []string{"alpha-0.2.0.tgz", "alpha-1.0.0.tgz", "beta-2.0.0.tgz"} {
		if n := r.requests("/stable/" + f); n != 1 {
			t.Errorf("%s downloaded %d times, want 1", f, n)
		}
	}
	if n := r.totalRequests(); n != 4 {
		t.Errorf("%d requests in all, want 4", n)
	}
}

func TestRepoCacheServesALaterLoader(t *testing.T) {
	r := newChartRepo(t, testCharts)
	cache := t.TempDir()
	repos := map[string]string{"stable": r.url()}

	first := NewLoader(Options{CacheDir: cache, Repositories: repos})
	for _, v := range []string{"0.2.0", "^1"} {
		got, err := first.Load(t.Context(), "stable/alpha", v)
		if err != nil {
			t.Fatal(err)
		}
		if got.Cached {
			t.Errorf("first load of %s came from the cache", v)
		}
	}
	if _, err := os.Stat(filepath.Join(repoCacheDir(cache, r.url()), "index.yaml")); err != nil {
		t.Errorf("index not cached on disk: %v", err)
	}
	before := r.totalRequests()

	// An exact version that is cached needs no request at all, even online.
	second := NewLoader(Options{CacheDir: cache, Repositories: repos})
	got, err := second.Load(t.Context(), "stable/alpha", "0.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Cached || got.Version != "0.2.0" {
		t.Errorf("got %+v, want cached 0.2.0", got)
	}
	if n := r.totalRequests() - before; n != 0 {
		t.Errorf("second loader made %d requests, want 0", n)
	}

	r.srv.Close()

	// Offline, constraints resolve against the cached index, with the server gone.
	offline := NewLoader(Options{CacheDir: cache, Repositories: repos, Offline: true})
	for v, want := range map[string]string{"^1": "1.0.0", "": "1.0.0", "0.2.0": "0.2.0"} {
		got, err := offline.Load(t.Context(), "stable/alpha", v)
		if err != nil {
			t.Fatalf("offline %q: %v", v, err)
		}
		if got.Version != want || !got.Cached {
			t.Errorf("offline %q = %s (cached %v), want cached %s", v, got.Version, got.Cached, want)
		}
	}

	// A version that was never downloaded is a NotCachedError, for exact versions and constraints.
	for _, v := range []string{"0.1.0", "~0.1"} {
		_, err := offline.Load(t.Context(), "stable/alpha", v)
		var nc *NotCachedError
		if !errors.As(err, &nc) || !strings.Contains(err.Error(), "stable/alpha 0.1.0 is not in the cache") {
			t.Errorf("offline %q: err = %v, want *NotCachedError naming stable/alpha 0.1.0", v, err)
		}
	}
}

func TestRepoOfflineWithoutIndex(t *testing.T) {
	l := NewLoader(Options{CacheDir: t.TempDir(), Offline: true, Repositories: map[string]string{"stable": "https://charts.invalid/stable"}})
	_, err := l.Load(t.Context(), "stable/alpha", "^1")
	var nc *NotCachedError
	if !errors.As(err, &nc) || !strings.Contains(err.Error(), "the index of repository stable (https://charts.invalid/stable)") {
		t.Fatalf("err = %v, want *NotCachedError for the index", err)
	}
}

func TestRepoDigestMismatch(t *testing.T) {
	r := newChartRepo(t, map[string][]string{"alpha": {"1.0.0"}})
	// Replace the archive after the index was generated.
	tampered := packageChart(t, t.TempDir(), "alpha", "1.0.0")
	data, err := os.ReadFile(tampered)
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, 0) // any change of the bytes changes the digest
	if err := os.WriteFile(filepath.Join(r.docroot, "alpha-1.0.0.tgz"), data, 0o644); err != nil {
		t.Fatal(err)
	}

	cache := t.TempDir()
	l := NewLoader(Options{CacheDir: cache, Repositories: map[string]string{"stable": r.url()}})
	for range 2 {
		_, err = l.Load(t.Context(), "stable/alpha", "1.0.0")
		var dm *DigestMismatchError
		if !errors.As(err, &dm) || dm.Got != sha256Digest(data) || dm.Want == dm.Got {
			t.Fatalf("err = %v, want *DigestMismatchError with the served digest", err)
		}
		if !strings.Contains(err.Error(), r.url()+"/alpha-1.0.0.tgz") {
			t.Errorf("error %q should name the URL", err)
		}
	}
	if isFile(archivePath(repoCacheDir(cache, r.url()), "alpha", "1.0.0")) {
		t.Error("a chart that failed its digest check was cached")
	}
	if n := r.requests("/stable/alpha-1.0.0.tgz"); n != 2 {
		t.Errorf("archive fetched %d times, want 2 (a bad download must not be cached)", n)
	}
}

func TestRepoErrors(t *testing.T) {
	r := newChartRepo(t, map[string][]string{
		"alpha":          {"0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0", "1.0.0-rc.1"},
		"alpha-operator": {"1.0.0"},
		"gamma":          {"1.0.0-beta.1"},
	})
	down := newChartRepo(t, nil)
	down.srv.Close()
	l := NewLoader(Options{CacheDir: t.TempDir(), Repositories: map[string]string{
		"stable":  r.url(),
		"missing": r.srv.URL + "/nowhere",
		"down":    down.url(),
	}})

	t.Run("chart not found", func(t *testing.T) {
		_, err := l.Load(t.Context(), "stable/alpha-op", "")
		var nf *ChartNotFoundError
		if !errors.As(err, &nf) || !slices.Equal(nf.Similar, []string{"alpha", "alpha-operator"}) {
			t.Fatalf("err = %v, want *ChartNotFoundError suggesting alpha, alpha-operator", err)
		}
		if !strings.Contains(err.Error(), `has no chart "alpha-op" (similar charts: alpha, alpha-operator)`) {
			t.Errorf("error = %q", err)
		}
	})
	t.Run("no matching version", func(t *testing.T) {
		_, err := l.Load(t.Context(), "stable/alpha", "^2")
		var nm *NoMatchingVersionError
		want := []string{"1.0.0-rc.1", "0.6.0", "0.5.0", "0.4.0", "0.3.0"}
		if !errors.As(err, &nm) || !slices.Equal(nm.Newest, want) {
			t.Fatalf("err = %v, want *NoMatchingVersionError listing %v", err, want)
		}
		if !strings.Contains(err.Error(), `no version of stable/alpha matches "^2"; newest: 1.0.0-rc.1, 0.6.0`) {
			t.Errorf("error = %q", err)
		}
	})
	t.Run("no stable version", func(t *testing.T) {
		_, err := l.Load(t.Context(), "stable/gamma", "")
		if err == nil || !strings.Contains(err.Error(), "stable/gamma has no stable version; newest: 1.0.0-beta.1") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("404", func(t *testing.T) {
		_, err := l.Load(t.Context(), "missing/alpha", "")
		var fe *FetchError
		if !errors.As(err, &fe) || fe.StatusCode != 404 || fe.URL != r.srv.URL+"/nowhere/index.yaml" {
			t.Fatalf("err = %v, want *FetchError 404 for the index URL", err)
		}
		if !strings.Contains(err.Error(), "check the repository URL, the chart name and the version") {
			t.Errorf("error = %q", err)
		}
	})
	t.Run("network failure", func(t *testing.T) {
		_, err := l.Load(t.Context(), "down/alpha", "1.0.0")
		var fe *FetchError
		if !errors.As(err, &fe) || fe.URL != down.url()+"/index.yaml" || fe.Err == nil {
			t.Fatalf("err = %v, want *FetchError for %s/index.yaml", err, down.url())
		}
		if !strings.Contains(err.Error(), "fetch "+down.url()+"/index.yaml: ") {
			t.Errorf("error = %q", err)
		}
	})
}

// TestRepoAbsoluteURLs uses Helm's own repository test server, whose index has absolute chart URLs.
func TestRepoAbsoluteURLs(t *testing.T) {
	src := t.TempDir()
	packageChart(t, src, "delta", "3.1.4")
	packageChart(t, src, "delta", "3.2.0")
	srv := repotest.NewTempServer(t, repotest.WithChartSourceGlob(filepath.Join(src, "*.tgz")))
	defer srv.Stop()

	l := NewLoader(Options{CacheDir: t.TempDir(), Repositories: map[string]string{"helm": srv.URL()}})
	got, err := l.Load(t.Context(), "helm/delta", "~3.1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != "3.1.4" || got.URL != srv.URL()+"/delta-3.1.4.tgz" {
		t.Errorf("got %s from %s, want 3.1.4 from %s/delta-3.1.4.tgz", got.Version, got.URL, srv.URL())
	}
}

func TestRepoStaleCachedArchiveIsReplaced(t *testing.T) {
	r := newChartRepo(t, map[string][]string{"alpha": {"1.0.0"}})
	cache := t.TempDir()
	repos := map[string]string{"stable": r.url()}
	if _, err := NewLoader(Options{CacheDir: cache, Repositories: repos}).Load(t.Context(), "stable/alpha", "^1"); err != nil {
		t.Fatal(err)
	}
	// Put another archive of the same version in the cache: its digest no longer matches the index.
	cached := archivePath(repoCacheDir(cache, r.url()), "alpha", "1.0.0")
	other, err := os.ReadFile(packageChart(t, t.TempDir(), "alpha", "1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	other = append(other, 0)
	if err := os.WriteFile(cached, other, 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := NewLoader(Options{CacheDir: cache, Repositories: repos}).Load(t.Context(), "stable/alpha", "^1")
	if err != nil {
		t.Fatal(err)
	}
	served, err := os.ReadFile(filepath.Join(r.docroot, "alpha-1.0.0.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Cached || got.Digest != sha256Digest(served) {
		t.Errorf("got cached=%v digest %s, want a fresh download with digest %s", got.Cached, got.Digest, sha256Digest(served))
	}
	if n := r.requests("/stable/alpha-1.0.0.tgz"); n != 2 {
		t.Errorf("archive downloaded %d times, want 2", n)
	}
}
