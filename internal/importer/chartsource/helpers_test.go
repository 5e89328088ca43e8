package chartsource_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // registry storage for tests
	"github.com/sirupsen/logrus"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/registry"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	"kaji.dev/kaji/internal/render/corpus"
	"kaji.dev/kaji/internal/testenv"
)

// corpusCases are the renders of the shared chart corpus, by chart name, default render first.
func corpusCases(t *testing.T) map[string][]corpus.Case {
	t.Helper()
	dir, err := corpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := corpus.Cases(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]corpus.Case{}
	for _, c := range cases {
		out[c.Chart] = append(out[c.Chart], c)
	}
	return out
}

// corpusArchive packages the corpus chart name with Helm's packager and loads the archive, as
// a chart repository serves it.
func corpusArchive(t *testing.T, name string) *chartv2.Chart {
	t.Helper()
	dir, err := corpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	ch, err := loader.LoadDir(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return reload(t, ch)
}

// reload packages ch and loads the archive again.
func reload(t *testing.T, ch *chartv2.Chart) *chartv2.Chart {
	t.Helper()
	path, err := chartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, err := loader.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// throughRelease stores ch in a release record with Helm's release encoding (the JSON that the
// storage drivers compress and write) and reads it back.
func throughRelease(t *testing.T, ch *chartv2.Chart) *chartv2.Chart {
	t.Helper()
	data, err := json.Marshal(&rspb.Release{Name: "r", Chart: ch, Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	var rel rspb.Release
	if err := json.Unmarshal(data, &rel); err != nil {
		t.Fatal(err)
	}
	return rel.Chart
}

// changeFile returns a copy of the archive chart ch with the file name (a template or another
// file) replaced by data.
func changeFile(t *testing.T, ch *chartv2.Chart, name, data string) *chartv2.Chart {
	t.Helper()
	c := reload(t, ch)
	for _, f := range append(c.Templates, c.Files...) {
		if f.Name == name {
			f.Data = []byte(data)
			return c
		}
	}
	t.Fatalf("chart %s has no file %s", ch.Name(), name)
	return nil
}

// withVersion returns a copy of the archive chart ch at another version.
func withVersion(t *testing.T, ch *chartv2.Chart, version string) *chartv2.Chart {
	t.Helper()
	c := reload(t, ch)
	c.Metadata.Version = version
	return c
}

// chartRepos serves https chart repositories in-process, one per directory under its root.
type chartRepos struct {
	srv  *httptest.Server
	root string
}

func newChartRepos(t *testing.T) *chartRepos {
	t.Helper()
	r := &chartRepos{root: t.TempDir()}
	r.srv = httptest.NewTLSServer(http.FileServer(http.Dir(r.root)))
	t.Cleanup(r.srv.Close)
	return r
}

// add packages charts into the repository name, writes its index and returns its URL.
func (r *chartRepos) add(t *testing.T, name string, charts ...*chartv2.Chart) string {
	t.Helper()
	dir := filepath.Join(r.root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range charts {
		if _, err := chartutil.Save(c, dir); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	idx.SortEntries()
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return r.srv.URL + "/" + name
}

// ociRegistry is an in-process OCI registry (the distribution registry), over plain HTTP.
type ociRegistry struct {
	host   string
	client *registry.Client
}

func TestMain(m *testing.M) {
	// The in-process registry logs every request through logrus's standard logger.
	logrus.SetOutput(io.Discard)
	os.Exit(testenv.Run(m, &env))
}

// env is the control plane of the tests that install charts; nil under -short.
var env *testenv.Env

func newOCIRegistry(t *testing.T) *ociRegistry {
	t.Helper()
	config := &configuration.Configuration{Storage: configuration.Storage{"inmemory": configuration.Parameters{}}}
	config.HTTP.Secret = "kaji-test"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv := httptest.NewServer(handlers.NewApp(ctx, config))
	t.Cleanup(srv.Close)
	client, err := registry.NewClient(
		registry.ClientOptPlainHTTP(),
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")),
	)
	if err != nil {
		t.Fatal(err)
	}
	return &ociRegistry{host: strings.TrimPrefix(srv.URL, "http://"), client: client}
}

// push packages each chart and pushes it under path; it returns the oci:// base of path.
func (r *ociRegistry) push(t *testing.T, path string, charts ...*chartv2.Chart) string {
	t.Helper()
	for _, c := range charts {
		file, err := chartutil.Save(c, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.client.Push(data, r.host+"/"+path+"/"+c.Name()+":"+c.Metadata.Version); err != nil {
			t.Fatal(err)
		}
	}
	return "oci://" + r.host + "/" + path
}
