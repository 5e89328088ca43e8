package validate

import (
	"context"
	"runtime"
	"sync"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// BenchmarkCorpus measures, over one kaji.yaml that holds a release for every corpus values
// file (the file of TestCorpusHasNoFalsePositives):
//
//   - validate: Run from start to end, as kaji validate does: kaji.yaml, charts loaded from
//     disk, values, schemas, rendering, manifests and the unused-key analysis;
//   - render: the anchor, plain deterministic rendering of the same releases with the same
//     merged values, charts and values loaded beforehand, with the same parallelism.
//
// Each iteration starts from a fresh Renderer (and, for validate, a fresh everything), so that
// nothing learned in one iteration helps the next.
func BenchmarkCorpus(b *testing.B) {
	path, cases, kv := corpusFile(b, b.TempDir())
	ctx := context.Background()
	b.Run("validate", func(b *testing.B) {
		for b.Loop() {
			rep, err := Run(ctx, path, "", Options{KubeVersion: kv})
			if err != nil {
				b.Fatal(err)
			}
			if rep.HasErrors() {
				b.Fatalf("the corpus has errors: %+v", rep.Findings)
			}
		}
		b.ReportMetric(float64(len(cases)), "releases")
	})
	b.Run("render", func(b *testing.B) {
		rels := loadReleases(b, path)
		par := runtime.GOMAXPROCS(0)
		for b.Loop() {
			r, err := render.New(render.Options{Deterministic: true, KubeVersion: kv})
			if err != nil {
				b.Fatal(err)
			}
			sem := make(chan struct{}, par)
			var wg sync.WaitGroup
			for _, rel := range rels {
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					if _, err := r.Render(ctx, rel.chart, rel.vals); err != nil {
						b.Errorf("%s: %v", rel.name, err)
					}
				})
			}
			wg.Wait()
		}
	})
}

type loadedRelease struct {
	name  string
	chart *chartv2.Chart
	vals  map[string]any
}

// loadReleases loads the charts and merges the values of every release of kaji.yaml at path,
// one chart per distinct chart reference.
func loadReleases(b *testing.B, path string) []loadedRelease {
	b.Helper()
	doc, err := spec.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	res, err := doc.Resolve("")
	if err != nil {
		b.Fatal(err)
	}
	loader := chart.NewLoader(chart.Options{Repositories: res.Repositories})
	charts := map[string]*chartv2.Chart{}
	var out []loadedRelease
	for _, r := range res.Releases {
		ch, ok := charts[r.Chart]
		if !ok {
			l, err := loader.Load(context.Background(), r.Chart, r.Version)
			if err != nil {
				b.Fatal(err)
			}
			ch = l.Chart
			charts[r.Chart] = ch
		}
		vals, err := values.Merge(r.Values)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, loadedRelease{name: r.Name, chart: ch, vals: vals})
	}
	return out
}
