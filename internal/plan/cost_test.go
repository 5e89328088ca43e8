package plan_test

import (
	"fmt"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/testenv"
)

// manyReleases declares n web releases, alternately in namespaces a and b.
func manyReleases(h *harness, n int, a, b string) *spec.Resolved {
	var body strings.Builder
	body.WriteString("releases:\n")
	for i := range n {
		ns := a
		if i%2 == 1 {
			ns = b
		}
		fmt.Fprintf(&body, "  - name: web%d\n    namespace: %s\n    chart: CHARTS/web\n", i, ns)
	}
	return h.resolve(body.String())
}

// planRequests counts the API requests of one plan by a fresh planner (a fresh discovery
// cache, as one kaji run has).
func planRequests(t *testing.T, h *harness, res *spec.Resolved) (testenv.RequestCounts, *plan.Plan) {
	t.Helper()
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.ForCluster(conn, h.charts)
	if err != nil {
		t.Fatal(err)
	}
	before, err := env.RequestCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Plan(t.Context(), res, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	after, err := env.RequestCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	delta := after.Sub(before)
	delta["GET nonresource"]-- // the /metrics read of RequestCount itself
	for k, v := range delta {
		// The API server's own loopback clients renew leases and the like meanwhile.
		if strings.Contains(k, "leases") || strings.Contains(k, "events") || v == 0 {
			delete(delta, k)
		}
	}
	return delta, got
}

func TestNoChangePlanCostDoesNotGrowWithReleases(t *testing.T) {
	h := newHarness(t)
	a, b := env.Namespace(t), env.Namespace(t)
	small, large := manyReleases(h, 2, a, b), manyReleases(h, 10, a, b)
	h.apply(large)

	costSmall, p := planRequests(t, h, small)
	costLarge, p := planRequests(t, h, large)
	for _, r := range p.Releases {
		if r.State != plan.StateInSync {
			t.Fatalf("%s: %s (%s), want in-sync", r.Name, r.State, r.Reason)
		}
	}
	t.Logf("requests of a no-change plan of 2 releases: %v (%v)", costSmall.Total(), costSmall)
	t.Logf("requests of a no-change plan of 10 releases: %v (%v)", costLarge.Total(), costLarge)

	// 10 releases in 2 namespaces: discovery, 2 storage lists, 1 cluster-wide list for orphans,
	// and 2 namespaces × 3 kinds of live objects. Well under 2·N + a constant.
	if n := costLarge.Total(); n > 20 {
		t.Errorf("a no-change plan of 10 releases made %v requests, want at most 20: %v", n, costLarge)
	}
	// Exactly: one storage list per namespace, one cluster-wide for orphans, one list per
	// (namespace, kind) of live objects.
	if n := costLarge.Total() - costLarge["GET nonresource"]; n != 2+1+2*3 {
		t.Errorf("%v resource requests, want 9: %v", n, costLarge)
	}
	for _, k := range []string{"LIST secrets", "LIST configmaps", "LIST deployments.apps", "LIST services"} {
		if costLarge[k] != costSmall[k] {
			t.Errorf("%s: %v requests for 10 releases, %v for 2: the cost grows with releases", k, costLarge[k], costSmall[k])
		}
	}
	// Discovery (GET nonresource) is once per run; other clients of the API server may add a
	// health check or two to it meanwhile, so it is bounded, not compared.
	nSmall, nLarge := costSmall.Total()-costSmall["GET nonresource"], costLarge.Total()-costLarge["GET nonresource"]
	if nLarge != nSmall {
		t.Errorf("10 releases cost %v resource requests, 2 cost %v: want the same", nLarge, nSmall)
	}
	if n := costLarge["GET nonresource"]; n > 4 {
		t.Errorf("discovery made %v requests, want at most 4", n)
	}
	for k := range costLarge {
		if strings.HasPrefix(k, "GET ") && k != "GET nonresource" {
			t.Errorf("the plan made per-object requests: %s × %v", k, costLarge[k])
		}
	}
}

func TestChangePlanCostGrowsWithChangedObjectsOnly(t *testing.T) {
	h := newHarness(t)
	a, b := env.Namespace(t), env.Namespace(t)
	res := manyReleases(h, 10, a, b)
	h.apply(res)
	res.Releases[3].Values = append(res.Releases[3].Values, spec.ValuesLayer{Inline: map[string]any{"greeting": "changed"}})

	cost, p := planRequests(t, h, res)
	t.Logf("requests of a plan of 10 releases, one with a changed value: %v (%v)", cost.Total(), cost)
	if r := p.Release("web3"); r.State != plan.StateUpgrade {
		t.Fatalf("web3: %s (%s)", r.State, r.Reason)
	}
	// One changed object, one dry run; nothing else is fetched one by one.
	if cost["APPLY configmaps"] != 1 || cost["APPLY deployments.apps"] != 0 || cost["APPLY services"] != 0 {
		t.Errorf("dry runs: %v, want exactly one, of the changed configmap", cost)
	}
	// The no-change plan's 9 resource requests, and one dry run. Discovery (GET nonresource)
	// is bounded apart: health checks of other clients land there too.
	if n := cost.Total() - cost["GET nonresource"]; n > 10 {
		t.Errorf("%v resource requests, want at most 10: %v", n, cost)
	}
	if n := cost["GET nonresource"]; n > 4 {
		t.Errorf("discovery made %v requests, want at most 4", n)
	}
}
