package unused

import (
	"context"
	"slices"
	"testing"

	"kaji.dev/kaji/internal/render"
)

// BenchmarkCorpus measures, over every corpus case that Helm renders, plain deterministic
// rendering (the anchor) against the full analysis of the same cases, every leaf the values
// set included. Each iteration starts from a fresh Renderer and Analyzer, so nothing learned
// in one iteration helps the next; charts are loaded once, outside the measurement.
func BenchmarkCorpus(b *testing.B) {
	cases, names, r := corpusCases(b, nil)
	slices.Sort(names)
	opts := r.Options()
	fresh := func(b *testing.B) *render.Renderer {
		r, err := render.New(render.Options{Deterministic: true, KubeVersion: opts.KubeVersion})
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	b.Run("render", func(b *testing.B) {
		for b.Loop() {
			r := fresh(b)
			for _, name := range names {
				c := cases[name]
				if _, err := r.Render(context.Background(), c.Chart, c.Values); err != nil {
					b.Fatalf("%s: %v", name, err)
				}
			}
		}
	})
	b.Run("analyze", func(b *testing.B) {
		for b.Loop() {
			a := newAnalyzer(b, fresh(b))
			for _, name := range names {
				c := cases[name]
				if _, err := a.Analyze(context.Background(), c.Chart, c.Values, Leaves(c.Values)); err != nil {
					b.Fatalf("%s: %v", name, err)
				}
			}
		}
	})
}
