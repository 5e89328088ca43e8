package chart

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // registry storage for tests
	"github.com/sirupsen/logrus"

	"helm.sh/helm/v4/pkg/registry"
)

// ociRegistry is an in-process OCI registry (the distribution registry Helm tests against),
// served over plain HTTP, with a count of tag-list requests.
type ociRegistry struct {
	srv    *httptest.Server
	host   string
	client *registry.Client

	mu       sync.Mutex
	tagLists int
	requests int
}

func TestMain(m *testing.M) {
	// The in-process registry logs every request through logrus's standard logger.
	logrus.SetOutput(io.Discard)
	m.Run()
}

func newOCIRegistry(t *testing.T) *ociRegistry {
	t.Helper()
	config := &configuration.Configuration{
		Storage: configuration.Storage{"inmemory": configuration.Parameters{}},
	}
	config.HTTP.Secret = "kaji-test"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := handlers.NewApp(ctx, config)

	r := &ociRegistry{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.requests++
		if strings.HasSuffix(req.URL.Path, "/tags/list") {
			r.tagLists++
		}
		r.mu.Unlock()
		app.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	r.host = strings.TrimPrefix(r.srv.URL, "http://")

	var err error
	r.client, err = registry.NewClient(
		registry.ClientOptPlainHTTP(),
		registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")),
	)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// push packages name-version and pushes it to <host>/<path>/<name>:<version>.
func (r *ociRegistry) push(t *testing.T, path, name, version string) *registry.PushResult {
	t.Helper()
	data, err := os.ReadFile(packageChart(t, t.TempDir(), name, version))
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.client.Push(data, r.host+"/"+path+"/"+name+":"+version) // Helm turns + into _ in the tag
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (r *ociRegistry) counts() (requests, tagLists int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, r.tagLists
}

func TestOCILoad(t *testing.T) {
	reg := newOCIRegistry(t)
	pushed := map[string]*registry.PushResult{}
	for _, v := range []string{"0.1.0", "0.2.0", "1.0.0", "1.1.0-rc.1"} {
		pushed[v] = reg.push(t, "charts", "alpha", v)
	}
	base := "oci://" + reg.host + "/charts"
	l := NewLoader(Options{
		CacheDir:       t.TempDir(),
		RegistryClient: reg.client,
		Repositories:   map[string]string{"reg": base},
	})

	tests := []struct{ chart, version, want string }{
		{base + "/alpha", "0.2.0", "0.2.0"},
		{base + "/alpha", "^0", "0.2.0"},
		{base + "/alpha", "", "1.0.0"},
		{base + "/alpha", ">=1.1.0-0", "1.1.0-rc.1"},
		{base + "/alpha:0.1.0", "", "0.1.0"},
		{base + "/alpha:0.1.0", "~0.1", "0.1.0"},
		{"reg/alpha", "~1.0", "1.0.0"},
		{base + "/alpha@" + pushed["0.2.0"].Manifest.Digest, "", "0.2.0"},
	}
	for _, tt := range tests {
		t.Run(tt.chart+"@"+tt.version, func(t *testing.T) {
			got, err := l.Load(t.Context(), tt.chart, tt.version)
			if err != nil {
				t.Fatal(err)
			}
			p := pushed[tt.want]
			if got.Source != SourceOCI || got.Version != tt.want || got.Chart.Metadata.Version != tt.want || got.Chart.Metadata.Name != "alpha" {
				t.Errorf("got %s alpha %s (Chart.yaml %s %s), want oci alpha %s",
					got.Source, got.Version, got.Chart.Metadata.Name, got.Chart.Metadata.Version, tt.want)
			}
			if got.Digest != p.Chart.Digest || got.ManifestDigest != p.Manifest.Digest {
				t.Errorf("digests = %s, %s; want chart %s, manifest %s", got.Digest, got.ManifestDigest, p.Chart.Digest, p.Manifest.Digest)
			}
		})
	}
	if _, tagLists := reg.counts(); tagLists != 1 {
		t.Errorf("tags listed %d times, want 1 per repository and Loader", tagLists)
	}

	t.Run("no matching version", func(t *testing.T) {
		_, err := l.Load(t.Context(), base+"/alpha", "^5")
		var nm *NoMatchingVersionError
		if !errors.As(err, &nm) || !slices.Equal(nm.Newest, []string{"1.1.0-rc.1", "1.0.0", "0.2.0", "0.1.0"}) {
			t.Fatalf("err = %v, want *NoMatchingVersionError listing the pushed versions", err)
		}
	})
	t.Run("tag and version disagree", func(t *testing.T) {
		_, err := l.Load(t.Context(), base+"/alpha:0.1.0", "0.2.0")
		if err == nil || !strings.Contains(err.Error(), "has tag 0.1.0, which does not match version \"0.2.0\"") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("missing repository", func(t *testing.T) {
		_, err := l.Load(t.Context(), base+"/nope", "^1")
		var fe *FetchError
		if !errors.As(err, &fe) || fe.StatusCode != http.StatusNotFound || !strings.Contains(fe.URL, "/charts/nope") {
			t.Fatalf("err = %v, want a 404 *FetchError naming the repository", err)
		}
	})
	t.Run("missing version", func(t *testing.T) {
		_, err := l.Load(t.Context(), base+"/alpha", "9.9.9")
		var fe *FetchError
		if !errors.As(err, &fe) || fe.URL != base+"/alpha:9.9.9" || fe.StatusCode != http.StatusNotFound {
			t.Fatalf("err = %v, want a 404 *FetchError naming %s/alpha:9.9.9", err, base)
		}
	})
}

func TestOCICacheServesALaterLoader(t *testing.T) {
	reg := newOCIRegistry(t)
	for _, v := range []string{"1.0.0", "1.2.0", "2.0.0+build.7"} {
		reg.push(t, "team/charts", "beta", v)
	}
	ref := "oci://" + reg.host + "/team/charts/beta"
	cache := t.TempDir()

	// The default registry client, with plain HTTP.
	first := NewLoader(Options{CacheDir: cache, PlainHTTP: true})
	var digest string
	for _, v := range []string{"1.2.0", "~1.0", "2.0.0+build.7"} {
		got, err := first.Load(t.Context(), ref, v)
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if got.Cached {
			t.Errorf("first load of %s came from the cache", v)
		}
		if v == "1.2.0" {
			digest = got.ManifestDigest
		}
	}
	before, _ := reg.counts()
	again, err := NewLoader(Options{CacheDir: cache, PlainHTTP: true}).Load(t.Context(), ref, "1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := reg.counts(); after != before || !again.Cached {
		t.Errorf("a cached exact version made %d requests (cached %v), want 0", after-before, again.Cached)
	}

	reg.srv.Close()
	offline := NewLoader(Options{CacheDir: cache, Offline: true})
	tests := []struct{ ref, version, want string }{
		{ref, "1.2.0", "1.2.0"},
		{ref, "", "2.0.0+build.7"}, // the newest stable version among the cached tags
		{ref, "^1", "1.2.0"},
		{ref, "~1.0", "1.0.0"},
		{ref, "2.0.0+build.7", "2.0.0+build.7"},
		{ref + "@" + digest, "", "1.2.0"},
	}
	for _, tt := range tests {
		got, err := offline.Load(t.Context(), tt.ref, tt.version)
		if err != nil {
			t.Fatalf("offline %s %q: %v", tt.ref, tt.version, err)
		}
		if got.Version != tt.want || !got.Cached {
			t.Errorf("offline %s %q = %s (cached %v), want cached %s", tt.ref, tt.version, got.Version, got.Cached, tt.want)
		}
	}
	_, err = offline.Load(t.Context(), ref, "1.1.0")
	var nc *NotCachedError
	if !errors.As(err, &nc) || !strings.Contains(err.Error(), ref+":1.1.0 is not in the cache") {
		t.Fatalf("err = %v, want *NotCachedError naming %s:1.1.0", err, ref)
	}
}
