package chartlock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // registry storage for tests
	"github.com/sirupsen/logrus"

	"helm.sh/helm/v4/pkg/registry"

	"kaji.dev/kaji/internal/chart"
)

func TestMain(m *testing.M) {
	// The in-process registry logs every request through logrus's standard logger.
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}

// ociRegistry is an in-process OCI registry (the distribution registry Helm tests against).
type ociRegistry struct {
	host   string
	client *registry.Client
}

func newOCIRegistry(t *testing.T) *ociRegistry {
	t.Helper()
	config := &configuration.Configuration{Storage: configuration.Storage{"inmemory": configuration.Parameters{}}}
	config.HTTP.Secret = "kaji-test"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv := httptest.NewServer(handlers.NewApp(ctx, config))
	t.Cleanup(srv.Close)
	client, err := registry.NewClient(registry.ClientOptPlainHTTP(), registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	return &ociRegistry{host: strings.TrimPrefix(srv.URL, "http://"), client: client}
}

// push pushes the archive of name-version, packaged by a chart repository, and returns the
// manifest digest.
func (o *ociRegistry) push(t *testing.T, r *chartRepo, name, version string) string {
	t.Helper()
	data, err := os.ReadFile(r.repo.ArchivePath(name, version))
	if err != nil {
		t.Fatal(err)
	}
	res, err := o.client.Push(data, o.host+"/charts/"+name+":"+version)
	if err != nil {
		t.Fatal(err)
	}
	return res.Manifest.Digest
}

func relockProject(url, oci string) string {
	return fmt.Sprintf(`apiVersion: kaji.dev/v1alpha1
project: shop
repositories:
  stable: %s
  reg: oci://%s/charts
releases:
  - name: api
    namespace: apps
    chart: stable/app
    version: "~1.0"
  - name: web
    namespace: apps
    chart: reg/web
  - name: extra
    namespace: apps
    chart: stable/app
    version: "^1"
    enabled: false
  - name: local
    namespace: apps
    chart: ./charts/local
environments:
  prod:
    releases:
      api:
        version: "1.0.0"
  test:
    releases:
      api:
        version: ">=1.0.0 <2"
  staging:
    releases:
      extra:
        enabled: true
`, url, oci)
}

func TestRelock(t *testing.T) {
	r := newChartRepo(t)
	d100 := r.publish(t, "app", "1.0.0", "one")
	d101 := r.publish(t, "app", "1.0.1", "two")
	d120 := r.publish(t, "app", "1.2.0", "three")
	r.publish(t, "web", "0.3.0", "web")
	reg := newOCIRegistry(t)
	webDigest := reg.push(t, r, "web", "0.3.0")
	doc := project(t, relockProject(r.url(), reg.host), "")
	loader := chart.NewLoader(chart.Options{CacheDir: t.TempDir(), Repositories: doc.File.Repositories, RegistryClient: reg.client})

	old := &File{Entries: []Entry{
		{Release: "gone", Repository: r.url(), Chart: "app", Version: "1.0.0", Digest: d100},
		{Release: "local", Repository: r.url(), Chart: "app", Version: "1.0.0", Digest: d100},
		{Release: "api", Repository: r.url(), Chart: "app", Version: "1.0.0", Digest: d100},
	}}
	got, err := Relock(t.Context(), doc, loader, old, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		// test admits the base pin, so it has no entry; prod does not, so it has its own.
		{Release: "api", Repository: r.url(), Chart: "app", Version: "1.0.1", Digest: d101},
		{Release: "api", Environment: "prod", Repository: r.url(), Chart: "app", Version: "1.0.0", Digest: d100},
		// extra runs only in staging.
		{Release: "extra", Environment: "staging", Repository: r.url(), Chart: "app", Version: "1.2.0", Digest: d120},
		// An OCI chart is pinned by its manifest digest.
		{Release: "web", Repository: "oci://" + reg.host + "/charts", Chart: "web", Version: "0.3.0", Digest: webDigest},
	}
	if !reflect.DeepEqual(got.Entries, want) {
		t.Errorf("Relock =\n%+v\nwant\n%+v", got.Entries, want)
	}

	t.Run("named releases keep the others", func(t *testing.T) {
		got, err := Relock(t.Context(), doc, loader, old, []string{"web", "local"})
		if err != nil {
			t.Fatal(err)
		}
		keys := map[Key]Entry{}
		for _, e := range got.Entries {
			keys[e.Key()] = e
		}
		if e := keys[Key{"api", ""}]; e.Version != "1.0.0" {
			t.Errorf("api was not named but changed to %+v", e)
		}
		if _, ok := keys[Key{"gone", ""}]; !ok {
			t.Error("the entry of an unnamed release was dropped")
		}
		if _, ok := keys[Key{"local", ""}]; ok {
			t.Error("a named release with a local chart kept its entry")
		}
		if e := keys[Key{"web", ""}]; e.Digest != webDigest {
			t.Errorf("web = %+v, want its manifest digest", e)
		}
	})
	t.Run("unknown release", func(t *testing.T) {
		_, err := Relock(t.Context(), doc, loader, old, []string{"apx"})
		var unknown *UnknownReleaseError
		if !errors.As(err, &unknown) || !strings.Contains(err.Error(), `no release "apx" (declared: api, web, extra, local)`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("every failure is reported", func(t *testing.T) {
		broken := project(t, strings.ReplaceAll(strings.ReplaceAll(relockProject(r.url(), reg.host), `"~1.0"`, `"~7.0"`), "reg/web", "reg/nope"), "")
		l := chart.NewLoader(chart.Options{CacheDir: t.TempDir(), Repositories: broken.File.Repositories, RegistryClient: reg.client})
		_, err := Relock(t.Context(), broken, l, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "release api: ") || !strings.Contains(err.Error(), "release web: ") {
			t.Fatalf("err = %v, want the failures of api and web", err)
		}
	})
}
