package chartlock

import (
	"os"
	"path/filepath"
	"testing"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/chart/charttest"
	"kaji.dev/kaji/internal/spec"
)

// chartRepo is an https chart repository served in-process, whose charts can be published
// and published again while it runs.
type chartRepo struct{ repo *charttest.Repo }

func newChartRepo(t *testing.T) *chartRepo {
	t.Helper()
	return &chartRepo{repo: charttest.NewRepo(t, "")}
}

func (r *chartRepo) url() string { return r.repo.URL() }

// publish packages name-version with a greeting in its values, replacing any archive of that
// version, regenerates the index as `helm repo index` does and returns the archive's digest.
func (r *chartRepo) publish(t *testing.T, name, version, greeting string) string {
	t.Helper()
	return r.repo.Publish(t, name, version, greeting)
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
