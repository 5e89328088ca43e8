package plan_test

import (
	"testing"

	"kaji.dev/kaji/internal/plan"
)

// A Plan takes the reads that Prefetch started for the same releases, and reads anew for
// others: a prefetch of web alone (its namespace's records) leaves api's history, in another
// namespace, to be read by the plan of both.
func TestPlanAfterPrefetch(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	body := webRelease + "  - name: api\n    namespace: NS2\n    chart: CHARTS/web\n"
	res := h.resolve(body, "NS2", env.Namespace(t), "NS", ns, "GREETING", "one")
	h.apply(res)

	for _, c := range []struct {
		name     string
		prefetch []string
	}{{"the same releases", nil}, {"other releases", []string{"web"}}} {
		t.Run(c.name, func(t *testing.T) {
			p := h.planner()
			p.Prefetch(t.Context(), res, plan.Options{Releases: c.prefetch})
			got, err := p.Plan(t.Context(), res, plan.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"web", "api"} {
				r := releaseNamed(t, got, name)
				wantState(t, r, plan.StateInSync, plan.ActionNone)
				if r.Current == nil || r.Current.Number != 1 {
					t.Errorf("%s: current revision %+v, want 1", name, r.Current)
				}
			}
		})
	}
}
