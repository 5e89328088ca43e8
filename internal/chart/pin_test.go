package chart

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// packageOther packages name-version with other values than packageChart's, into outDir: the
// same version with other content, as a chart published again.
func packageOther(t *testing.T, outDir, name, version string) string {
	t.Helper()
	src := writeChartDir(t, t.TempDir(), name, version)
	if err := os.WriteFile(filepath.Join(src, "values.yaml"), []byte("greeting: published again\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ch, err := loader.LoadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	path, err := chartutil.Save(ch, outDir)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	d, err := fileDigest(path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRepoPinnedLoad(t *testing.T) {
	r := newChartRepo(t, map[string][]string{"alpha": {"1.0.0", "1.1.0"}})
	repos := map[string]string{"stable": r.url()}
	pinned := fileSHA(t, filepath.Join(r.docroot, "alpha-1.0.0.tgz"))
	pin := Pin{Version: "1.0.0", Digest: pinned}
	cache := t.TempDir()

	got, err := NewLoader(Options{CacheDir: cache, Repositories: repos}).LoadPinned(t.Context(), "stable/alpha", pin)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != "1.0.0" || got.Digest != pinned || got.Cached {
		t.Fatalf("got %s %s (cached %v), want a download of 1.0.0 with %s", got.Version, got.Digest, got.Cached, pinned)
	}

	// The same version is published again with other content, and the index says so.
	if err := os.Remove(filepath.Join(r.docroot, "alpha-1.0.0.tgz")); err != nil {
		t.Fatal(err)
	}
	republished := fileSHA(t, packageOther(t, r.docroot, "alpha", "1.0.0"))
	r.writeIndex(t)

	t.Run("cached pinned archive needs no request", func(t *testing.T) {
		before := r.totalRequests()
		got, err := NewLoader(Options{CacheDir: cache, Repositories: repos}).LoadPinned(t.Context(), "stable/alpha", pin)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Cached || got.Digest != pinned || r.totalRequests() != before {
			t.Errorf("cached=%v digest %s, %d requests; want the cached pinned archive and no request", got.Cached, got.Digest, r.totalRequests()-before)
		}
	})
	t.Run("republished version is refused, naming both digests", func(t *testing.T) {
		fresh := t.TempDir()
		_, err := NewLoader(Options{CacheDir: fresh, Repositories: repos}).LoadPinned(t.Context(), "stable/alpha", pin)
		var pm *PinMismatchError
		if !errors.As(err, &pm) || pm.Pinned != pinned || pm.Got != republished {
			t.Fatalf("err = %v, want *PinMismatchError pinned %s, got %s", err, pinned, republished)
		}
		for _, want := range []string{pinned, republished, "stable/alpha 1.0.0", "published again", "kaji lock"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		if isFile(archivePath(repoCacheDir(fresh, r.url()), "alpha", "1.0.0")) {
			t.Error("a refused chart was cached")
		}
	})
	t.Run("republished archive behind an old index is refused", func(t *testing.T) {
		// The index still lists the pinned digest, so the refusal comes from the bytes.
		idx := filepath.Join(r.docroot, "index.yaml")
		body, err := os.ReadFile(idx)
		if err != nil {
			t.Fatal(err)
		}
		stale := strings.Replace(string(body), strings.TrimPrefix(republished, "sha256:"), strings.TrimPrefix(pinned, "sha256:"), 1)
		if stale == string(body) {
			t.Fatal("the index does not hold the republished digest")
		}
		if err := os.WriteFile(idx, []byte(stale), 0o644); err != nil {
			t.Fatal(err)
		}
		defer r.writeIndex(t)
		_, err = NewLoader(Options{CacheDir: t.TempDir(), Repositories: repos}).LoadPinned(t.Context(), "stable/alpha", pin)
		var pm *PinMismatchError
		if !errors.As(err, &pm) || pm.Got != republished || pm.Seen != r.url()+"/alpha-1.0.0.tgz" {
			t.Fatalf("err = %v, want *PinMismatchError seen at the archive URL", err)
		}
	})
	t.Run("pin of the new content loads it", func(t *testing.T) {
		got, err := NewLoader(Options{CacheDir: cache, Repositories: repos}).LoadPinned(t.Context(), "stable/alpha", Pin{Version: "1.0.0", Digest: republished})
		if err != nil {
			t.Fatal(err)
		}
		// The cached archive was the old one: it is replaced.
		if got.Cached || got.Digest != republished || got.Chart.Values["greeting"] != "published again" {
			t.Errorf("cached=%v digest %s values %v, want a download of the new content", got.Cached, got.Digest, got.Chart.Values)
		}
	})
	t.Run("offline without the pinned content", func(t *testing.T) {
		_, err := NewLoader(Options{CacheDir: cache, Repositories: repos, Offline: true}).LoadPinned(t.Context(), "stable/alpha", pin)
		var nc *NotCachedError
		if !errors.As(err, &nc) || !strings.Contains(err.Error(), "stable/alpha 1.0.0 with digest "+pinned) {
			t.Fatalf("err = %v, want *NotCachedError naming the pinned digest", err)
		}
	})
}

func TestOCIPinnedLoad(t *testing.T) {
	reg := newOCIRegistry(t)
	first := reg.push(t, "charts", "alpha", "1.0.0")
	reg.push(t, "charts", "alpha", "1.1.0")
	ref := "oci://" + reg.host + "/charts/alpha"
	pin := Pin{Version: "1.0.0", Digest: first.Manifest.Digest}
	cache := t.TempDir()
	repos := map[string]string{"reg": "oci://" + reg.host + "/charts"}
	newLoader := func(cache string) *Loader {
		return NewLoader(Options{CacheDir: cache, RegistryClient: reg.client, Repositories: repos})
	}

	for _, chartRef := range []string{ref, "reg/alpha", ref + ":1.0.0", ref + "@" + first.Manifest.Digest} {
		got, err := newLoader(cache).LoadPinned(t.Context(), chartRef, pin)
		if err != nil {
			t.Fatalf("%s: %v", chartRef, err)
		}
		if got.Version != "1.0.0" || got.ManifestDigest != first.Manifest.Digest || got.Digest != first.Chart.Digest {
			t.Errorf("%s: got %s manifest %s chart %s, want 1.0.0 %s %s", chartRef, got.Version, got.ManifestDigest, got.Digest, first.Manifest.Digest, first.Chart.Digest)
		}
	}
	before, _ := reg.counts()
	if got, err := newLoader(cache).LoadPinned(t.Context(), ref, pin); err != nil || !got.Cached {
		t.Fatalf("second pinned load: %v (cached %v)", err, got != nil && got.Cached)
	}
	if after, _ := reg.counts(); after != before {
		t.Errorf("a cached pinned chart made %d requests, want 0", after-before)
	}

	// 1.0.0 is pushed again with other content: its tag now names another manifest.
	data, err := os.ReadFile(packageOther(t, t.TempDir(), "alpha", "1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := reg.client.Push(data, reg.host+"/charts/alpha:1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if again.Manifest.Digest == first.Manifest.Digest {
		t.Fatal("pushing other content kept the manifest digest")
	}
	_, err = newLoader(t.TempDir()).LoadPinned(t.Context(), "reg/alpha", pin)
	var pm *PinMismatchError
	if !errors.As(err, &pm) || pm.Pinned != first.Manifest.Digest || pm.Got != again.Manifest.Digest {
		t.Fatalf("err = %v, want *PinMismatchError pinned %s, got %s", err, first.Manifest.Digest, again.Manifest.Digest)
	}
	if !strings.Contains(err.Error(), first.Manifest.Digest) || !strings.Contains(err.Error(), again.Manifest.Digest) {
		t.Errorf("error does not name both digests: %v", err)
	}
	// The cache keeps the pinned manifest: a loader over it still loads what was pinned.
	if got, err := newLoader(cache).LoadPinned(t.Context(), ref, pin); err != nil || got.ManifestDigest != first.Manifest.Digest {
		t.Fatalf("pinned load from the cache after the push: %v", err)
	}

	t.Run("reference digest differs from the pin", func(t *testing.T) {
		_, err := newLoader(cache).LoadPinned(t.Context(), ref+"@"+again.Manifest.Digest, pin)
		if !errors.As(err, &pm) || pm.Got != again.Manifest.Digest {
			t.Fatalf("err = %v, want *PinMismatchError", err)
		}
	})
	t.Run("reference tag differs from the pin", func(t *testing.T) {
		_, err := newLoader(cache).LoadPinned(t.Context(), ref+":1.1.0", pin)
		if err == nil || !strings.Contains(err.Error(), "has tag 1.1.0, but the pinned version is 1.0.0") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("pinned digest holds another version", func(t *testing.T) {
		_, err := newLoader(cache).LoadPinned(t.Context(), ref, Pin{Version: "1.1.0", Digest: first.Manifest.Digest})
		if err == nil || !strings.Contains(err.Error(), "holds version 1.0.0, not the pinned 1.1.0") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestLoadPinnedRefusesWhatCannotBePinned(t *testing.T) {
	l := NewLoader(Options{CacheDir: t.TempDir(), Repositories: map[string]string{"stable": "https://charts.example.com"}})
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		ref  string
		pin  Pin
		want string
	}{
		{"stable/alpha", Pin{Version: "^1", Digest: digest}, `pinned version "^1" is not an exact version`},
		{"stable/alpha", Pin{Version: "1.0.0", Digest: "md5:00"}, `pinned digest "md5:00" is not sha256`},
		{"./charts/alpha", Pin{Version: "1.0.0", Digest: digest}, "a local chart is not pinned"},
		{"nope/alpha", Pin{Version: "1.0.0", Digest: digest}, `unknown repository "nope"`},
	}
	for _, tt := range tests {
		_, err := l.LoadPinned(t.Context(), tt.ref, tt.pin)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("LoadPinned(%s, %+v) = %v, want an error containing %q", tt.ref, tt.pin, err, tt.want)
		}
	}
}

func TestLocate(t *testing.T) {
	l := NewLoader(Options{Repositories: map[string]string{
		"stable": "https://user:secret@charts.example.com/stable/",
		"reg":    "oci://registry.example.com/team/charts",
	}})
	tests := []struct {
		ref  string
		want Location
	}{
		{"stable/app", Location{Source: SourceRepo, Repository: "https://charts.example.com/stable", Name: "app"}},
		{"reg/app", Location{Source: SourceOCI, Repository: "oci://registry.example.com/team/charts", Name: "app"}},
		{"oci://registry.example.com/team/charts/app:1.2.3_b.7", Location{Source: SourceOCI, Repository: "oci://registry.example.com/team/charts", Name: "app", Version: "1.2.3+b.7"}},
		{"oci://localhost:5000/app@sha256:" + strings.Repeat("0", 64), Location{Source: SourceOCI, Repository: "oci://localhost:5000", Name: "app", Digest: "sha256:" + strings.Repeat("0", 64)}},
	}
	for _, tt := range tests {
		got, err := l.Locate(tt.ref)
		if err != nil || got != tt.want {
			t.Errorf("Locate(%s) = %+v, %v; want %+v", tt.ref, got, err, tt.want)
		}
	}
	if _, err := l.Locate("./charts/app"); err == nil {
		t.Error("a local chart has a location")
	}
}
