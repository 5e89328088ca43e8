package chartlock

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/spec"
)

// chartRepo is an https chart repository served in-process, whose charts can be published
// and published again while it runs.
type chartRepo struct {
	srv     *httptest.Server
	docroot string
}

func newChartRepo(t *testing.T) *chartRepo {
	t.Helper()
	r := &chartRepo{docroot: t.TempDir()}
	r.srv = httptest.NewServer(http.FileServer(http.Dir(r.docroot)))
	t.Cleanup(r.srv.Close)
	r.index(t)
	return r
}

func (r *chartRepo) url() string { return r.srv.URL }

// publish packages name-version with a greeting in its values, replacing any archive of that
// version, regenerates the index as `helm repo index` does and returns the archive's digest.
func (r *chartRepo) publish(t *testing.T, name, version, greeting string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), name)
	files := map[string]string{
		"Chart.yaml":               fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\n", name, version),
		"values.yaml":              fmt.Sprintf("greeting: %q\n", greeting),
		"templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting }}\n",
	}
	for rel, body := range files {
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := loader.LoadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	path, err := chartutil.Save(ch, r.docroot)
	if err != nil {
		t.Fatal(err)
	}
	r.index(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (r *chartRepo) index(t *testing.T) {
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

// project writes kaji.yaml (and, when lock is not empty, kaji.lock) into a new directory and
// loads it.
func project(t *testing.T, kajiYAML, lock string) *spec.Document {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kaji.yaml"), []byte(kajiYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	if lock != "" {
		if err := os.WriteFile(filepath.Join(dir, FileName), []byte(lock), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "charts", "local"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "charts", "local", "Chart.yaml"), []byte("apiVersion: v2\nname: local\nversion: 0.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := spec.Load(filepath.Join(dir, "kaji.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// newLoader is a chart loader over the repositories of doc with a cache of the test's own.
func newLoader(t *testing.T, doc *spec.Document) *chart.Loader {
	t.Helper()
	return chart.NewLoader(chart.Options{CacheDir: t.TempDir(), Repositories: doc.File.Repositories})
}

// release returns the release name of doc in environment env.
func release(t *testing.T, doc *spec.Document, env, name string) spec.ResolvedRelease {
	t.Helper()
	res, err := doc.Resolve(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Releases {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no release %s in environment %q", name, env)
	return spec.ResolvedRelease{}
}
