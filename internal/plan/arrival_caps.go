package plan

import (
	"context"
	"slices"

	"helm.sh/helm/v4/pkg/chart/common"

	"kaji.dev/kaji/internal/spec"
)

// renderArrivals renders again the releases that need a release whose CRDs bring group
// versions the cluster does not serve yet, with those in .Capabilities.APIVersions: apply
// renders them after those CRDs are installed and discovery is refreshed, and the plan must
// show what apply will do. It returns the arrivals of the releases as rendered; without such
// releases it costs nothing.
func (p *Planner) renderArrivals(ctx context.Context, res *spec.Resolved, works []*work, caps *common.Capabilities, par int) *arrivals {
	a := newArrivals(res, works, caps)
	var again []*work
	var extra [][]string
	for _, w := range works {
		if !w.rendered {
			continue
		}
		if versions := a.arriving(w, caps); len(versions) > 0 {
			again = append(again, w)
			extra = append(extra, versions)
		}
	}
	if len(again) == 0 {
		return a
	}
	parallel(len(again), par, func(i int) {
		w := again[i]
		more := caps.Copy()
		// Clipped: Copy shares the backing array, whose spare room the renders of the other
		// releases would otherwise append into at the same time.
		more.APIVersions = append(slices.Clip(more.APIVersions), extra[i]...)
		w.desired, w.base, w.crds, w.cmp, w.out.Ignored, w.rendered = nil, nil, nil, comparison{}, nil, false
		if err := p.render(ctx, w, w.out.Loaded, w.out.Values, more); err != nil {
			w.out.Err = err
			return
		}
		w.rendered = true
	})
	return newArrivals(res, works, caps)
}

// arriving returns the entries of .Capabilities.APIVersions ("group/version" and
// "group/version/Kind") that the CRDs of the releases w needs bring, and caps lacks.
func (a *arrivals) arriving(w *work, caps *common.Capabilities) []string {
	needed := a.needed(w.spec.Name)
	var out []string
	for gk, sources := range a.kinds {
		for _, s := range sources {
			if !needed[s.w.spec.Name] || (s.inCRDsDir && !s.w.bringsCRDsDir()) {
				continue
			}
			for _, v := range s.served {
				gv := gk.Group + "/" + v
				for _, entry := range []string{gv, gv + "/" + gk.Kind} {
					if !caps.APIVersions.Has(entry) && !slices.Contains(out, entry) {
						out = append(out, entry)
					}
				}
			}
		}
	}
	return out
}
