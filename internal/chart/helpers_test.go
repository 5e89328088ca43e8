package chart

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// writeChartDir writes a tiny chart into parent/name and returns its path.
func writeChartDir(t *testing.T, parent, name, version string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	files := map[string]string{
		"Chart.yaml":               fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\ntype: application\n", name, version),
		"values.yaml":              fmt.Sprintf("greeting: hello from %s %s\n", name, version),
		"templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting }}\n",
	}
	for rel, body := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// packageChart writes name-version.tgz into outDir with Helm's own packager and returns its path.
func packageChart(t *testing.T, outDir, name, version string) string {
	t.Helper()
	src := writeChartDir(t, t.TempDir(), name, version)
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
