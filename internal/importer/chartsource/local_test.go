package chartsource_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/importer/chartsource"
	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/render/corpus"
)

// A stored chart written out loads, through kaji's loader, with the stored digest and renders
// what the stored chart renders, for each values case of the corpus.
func TestWriteLocal(t *testing.T) {
	cases := corpusCases(t)
	for _, name := range []string{"aws-vpc-cni", "aws-load-balancer-controller", "ingress-nginx", "grafana", "argo-rollouts", "kube-state-metrics"} {
		t.Run(name, func(t *testing.T) {
			if len(cases[name]) == 0 {
				t.Fatalf("the corpus has no render of %s", name)
			}
			stored := throughRelease(t, corpusArchive(t, name))
			kajiDir := t.TempDir()
			rel, err := chartsource.WriteLocal(kajiDir, stored)
			if err != nil {
				t.Fatal(err)
			}
			if want := "./charts/" + name + "-" + stored.Metadata.Version; rel != want {
				t.Errorf("path %s, want %s", rel, want)
			}
			loaded, err := chart.NewLoader(chart.Options{CacheDir: t.TempDir()}).Load(t.Context(), filepath.Join(kajiDir, rel), stored.Metadata.Version)
			if err != nil {
				t.Fatal(err)
			}
			if d := chartsource.FirstDifference(loaded.Chart, stored); d != "" {
				t.Errorf("the written chart differs from the stored one in %s", d)
			}
			if chartsource.Digest(loaded.Chart) != chartsource.Digest(stored) {
				t.Error("the written chart has another digest")
			}
			kubeVersion, err := corpus.KubeVersion()
			if err != nil {
				t.Fatal(err)
			}
			r, err := render.New(render.Options{Deterministic: true, KubeVersion: kubeVersion, CacheSize: -1})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cases[name] {
				vals, err := c.Values()
				if err != nil {
					t.Fatal(err)
				}
				want, err := r.Render(t.Context(), stored, vals)
				if err != nil {
					t.Fatalf("render the stored chart with %s: %v", c.Name, err)
				}
				got, err := r.Render(t.Context(), loaded.Chart, vals)
				if err != nil {
					t.Fatalf("render the written chart with %s: %v", c.Name, err)
				}
				if len(want) == 0 || !maps.Equal(got, want) {
					t.Errorf("%s: the written chart renders %d files, the stored one %d; they differ in %v", c.Name, len(got), len(want), differing(got, want))
				}
			}

			// Writing again reuses the directory; a changed file makes it refuse.
			if again, err := chartsource.WriteLocal(kajiDir, stored); err != nil || again != rel {
				t.Errorf("writing again: %s, %v", again, err)
			}
			tmpl := filepath.Join(kajiDir, rel, filepath.FromSlash(stored.Templates[0].Name))
			if err := os.WriteFile(tmpl, []byte("changed"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = chartsource.WriteLocal(kajiDir, stored)
			var exists *chartsource.LocalExistsError
			if !errors.As(err, &exists) || exists.File != stored.Templates[0].Name {
				t.Errorf("writing over a changed chart: %v, want a LocalExistsError naming %s", err, stored.Templates[0].Name)
			}
			if data, _ := os.ReadFile(tmpl); string(data) != "changed" {
				t.Error("the changed file was overwritten")
			}
		})
	}
}

func differing(a, b map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if b[k] != a[k] {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// A directory in the way that is no chart is refused, and left alone.
func TestWriteLocalRefusesOtherDirectory(t *testing.T) {
	stored := throughRelease(t, corpusArchive(t, "aws-vpc-cni"))
	kajiDir := t.TempDir()
	dir := filepath.Join(kajiDir, "charts", "aws-vpc-cni-"+stored.Metadata.Version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := chartsource.WriteLocal(kajiDir, stored)
	var exists *chartsource.LocalExistsError
	if !errors.As(err, &exists) || exists.Err == nil {
		t.Errorf("err %v, want a LocalExistsError saying the directory is no chart", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory in the way now has %d entries", len(entries))
	}
}

// Helm keeps no subcharts with a release: a stored chart that declares them cannot be written
// out whole. A chart that carries its subcharts is written with them, as Helm lays them out.
func TestWriteLocalSubcharts(t *testing.T) {
	redis := corpusArchive(t, "redis")
	form, err := chartsource.StoredForm(redis, nil)
	if err != nil {
		t.Fatal(err)
	}
	kajiDir := t.TempDir()
	_, err = chartsource.WriteLocal(kajiDir, throughRelease(t, form))
	var missing *chartsource.SubchartsNotStoredError
	if !errors.As(err, &missing) || len(missing.Subcharts) != 1 {
		t.Fatalf("err %v, want a SubchartsNotStoredError naming common", err)
	}
	if _, err := os.Stat(filepath.Join(kajiDir, "charts")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused chart left %s behind: %v", filepath.Join(kajiDir, "charts"), err)
	}

	rel, err := chartsource.WriteLocal(kajiDir, redis)
	if err != nil {
		t.Fatal(err)
	}
	written, err := loader.LoadDir(filepath.Join(kajiDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	if d := chartsource.FirstDifference(written, redis); d != "" {
		t.Errorf("the written chart differs in %s", d)
	}
	if n := len(written.Dependencies()); n != 1 || written.Dependencies()[0].Name() != "common" {
		t.Errorf("the written chart carries %d subcharts, want common", n)
	}
	if a, b := storedDigest(t, written), storedDigest(t, redis); a != b {
		t.Error("written and original chart are stored differently")
	}
	archives, _ := filepath.Glob(filepath.Join(kajiDir, rel, "charts", "common-*.tgz"))
	if len(archives) != 1 {
		t.Errorf("subchart archives %v, want charts/common-<version>.tgz", archives)
	}
}

func TestWriteLocalBadNames(t *testing.T) {
	for _, name := range []string{"", "..", "a/b"} {
		c := throughRelease(t, corpusArchive(t, "aws-vpc-cni"))
		c.Metadata.Name = name
		if _, err := chartsource.WriteLocal(t.TempDir(), c); err == nil {
			t.Errorf("name %q: no error", name)
		}
	}
}

// storedDigest is the digest of c as Helm stores it for a release without values.
func storedDigest(t *testing.T, c *chartv2.Chart) string {
	t.Helper()
	form, err := chartsource.StoredForm(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return chartsource.Digest(form)
}
