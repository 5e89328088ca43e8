package chart

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	repo "helm.sh/helm/v4/pkg/repo/v1"
	"kaji.dev/kaji/internal/chart/charttest"
)

// writeChartDir writes a tiny chart into parent/name and returns its path.
func writeChartDir(t *testing.T, parent, name, version string) string {
	t.Helper()
	return charttest.WriteDir(t, parent, name, version, "hello from "+name+" "+version)
}

// packageChart writes name-version.tgz into outDir with Helm's own packager and returns its path.
func packageChart(t *testing.T, outDir, name, version string) string {
	t.Helper()
	path, _ := charttest.Package(t, outDir, name, version, "hello from "+name+" "+version)
	return path
}

// chartRepo is an https chart repository served in-process under /stable, with an index whose
// chart URLs are relative, and a count of the requests per path.
type chartRepo struct {
	srv     *httptest.Server
	docroot string

	mu    sync.Mutex
	count map[string]int
}

// newChartRepo packages the charts (name -> versions) and serves them with a generated index.
func newChartRepo(t *testing.T, charts map[string][]string) *chartRepo {
	t.Helper()
	r := &chartRepo{docroot: t.TempDir(), count: map[string]int{}}
	for name, versions := range charts {
		for _, v := range versions {
			packageChart(t, r.docroot, name, v)
		}
	}
	r.writeIndex(t)
	files := http.StripPrefix("/stable", http.FileServer(http.Dir(r.docroot)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.count[req.URL.Path]++
		r.mu.Unlock()
		files.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// writeIndex (re)generates index.yaml with relative chart URLs, as `helm repo index` does.
func (r *chartRepo) writeIndex(t *testing.T) {
	t.Helper()
	idx, err := repo.IndexDirectory(r.docroot, "")
	if err != nil {
		t.Fatal(err)
	}
	idx.SortEntries()
	if err := idx.WriteFile(filepath.Join(r.docroot, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (r *chartRepo) url() string { return r.srv.URL + "/stable" }

func (r *chartRepo) requests(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count[path]
}

func (r *chartRepo) totalRequests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.count {
		n += c
	}
	return n
}
