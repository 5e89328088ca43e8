// Package charttest makes small real charts for tests, and serves them: a chart directory, its
// archive packaged by Helm's own packager, and a chart repository served in-process (over HTTP,
// or HTTPS) whose charts can be published, and published again, while it runs. It is imported
// by tests only.
package charttest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// WriteDir writes the chart name at version into parent/name and returns its path: one
// ConfigMap named after the release, whose data.greeting is the value greeting, which the
// chart's values.yaml sets to greeting.
func WriteDir(t testing.TB, parent, name, version, greeting string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	files := map[string]string{
		"Chart.yaml":               fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\ntype: application\n", name, version),
		"values.yaml":              fmt.Sprintf("greeting: %q\n", greeting),
		"templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
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

// Package writes the archive name-version.tgz of the chart WriteDir makes into outDir, with
// Helm's packager, and returns its path and its digest (sha256:<hex> of the archive).
func Package(t testing.TB, outDir, name, version, greeting string) (path, digest string) {
	t.Helper()
	ch, err := loader.LoadDir(WriteDir(t, t.TempDir(), name, version, greeting))
	if err != nil {
		t.Fatal(err)
	}
	if path, err = chartutil.Save(ch, outDir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return path, "sha256:" + hex.EncodeToString(sum[:])
}

// Repo is a chart repository served in-process over HTTP under a path prefix, with an index
// whose chart URLs are relative, as `helm repo index` writes it. It counts the requests per
// path.
type Repo struct {
	srv    *httptest.Server
	dir    string
	prefix string

	mu    sync.Mutex
	count map[string]int
}

// NewRepo starts an empty repository under prefix ("" or such as "/stable") over HTTP, stopped
// when the test ends.
func NewRepo(t testing.TB, prefix string) *Repo {
	t.Helper()
	return newRepo(t, prefix, false)
}

// NewHTTPSRepo starts an empty repository under prefix over HTTPS, stopped when the test ends.
// Its certificate, for 127.0.0.1, is its own CA: a client trusts it as it would a private CA,
// through CACertPEM (SSL_CERT_FILE for a process).
func NewHTTPSRepo(t testing.TB, prefix string) *Repo {
	t.Helper()
	return newRepo(t, prefix, true)
}

func newRepo(t testing.TB, prefix string, https bool) *Repo {
	t.Helper()
	r := &Repo{dir: t.TempDir(), prefix: strings.TrimSuffix(prefix, "/"), count: map[string]int{}}
	r.index(t)
	files := http.FileServer(http.Dir(r.dir))
	if r.prefix != "" {
		files = http.StripPrefix(r.prefix, files)
	}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.count[req.URL.Path]++
		r.mu.Unlock()
		files.ServeHTTP(w, req)
	}))
	if https {
		r.srv.StartTLS()
	} else {
		r.srv.Start()
	}
	t.Cleanup(r.srv.Close)
	return r
}

// CACertPEM is the PEM certificate that a client of a repository from NewHTTPSRepo trusts; nil
// for one over HTTP.
func (r *Repo) CACertPEM() []byte {
	c := r.srv.Certificate()
	if c == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// URL is the repository's URL, as kaji.yaml names it.
func (r *Repo) URL() string { return r.srv.URL + r.prefix }

// Publish packages the chart name at version with greeting (see WriteDir), replacing any
// archive of that version, indexes the repository again, and returns the archive's digest.
func (r *Repo) Publish(t testing.TB, name, version, greeting string) string {
	t.Helper()
	_, digest := Package(t, r.dir, name, version, greeting)
	r.index(t)
	return digest
}

// ArchivePath is where the repository keeps the archive of name at version.
func (r *Repo) ArchivePath(name, version string) string {
	return filepath.Join(r.dir, name+"-"+version+".tgz")
}

// index (re)writes index.yaml over the archives of the repository.
func (r *Repo) index(t testing.TB) {
	t.Helper()
	idx, err := repo.IndexDirectory(r.dir, "")
	if err != nil {
		t.Fatal(err)
	}
	idx.SortEntries()
	if err := idx.WriteFile(filepath.Join(r.dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Requests is how many requests the repository served at path (prefix included).
func (r *Repo) Requests(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count[path]
}

// TotalRequests is how many requests the repository served.
func (r *Repo) TotalRequests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.count {
		n += c
	}
	return n
}
