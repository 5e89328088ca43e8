package plan_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/plan"
)

// servedGadgets creates the Gadget CRD of group and waits until discovery serves group/v1.
func servedGadgets(t *testing.T, group string) {
	t.Helper()
	liveGadgetCRD(t, group, "v1")
	disc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		_, err := disc.ServerResourcesForGroupVersion(group + "/v1")
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("%s/v1 not served: %v", group, err)
	}
}

// reconnected is h with a connection of its own, whose discovery sees the cluster as it is now
// (a connection reads the capabilities once).
func (h *harness) reconnected() *harness {
	h.t.Helper()
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		h.t.Fatal(err)
	}
	again := *h
	again.conn = conn
	return &again
}

// A CRD of a group that a chart never reads leaves its inputs alone: a release applied before
// another release (here, by hand) installed the CRD is still not rendered again. Its chart
// renders a random value, so a render would plan an upgrade.
func TestNewAPIGroupLeavesTheInputsOfOtherChartsAlone(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	body := `
releases:
  - name: rnd
    namespace: NS
    chart: CHARTS/random
`
	h.transactOK(body, "NS", ns)
	servedGadgets(t, crdGroup(t, "gadgets"))
	h = h.reconnected()
	wantState(t, releaseNamed(t, h.plan(h.resolve(body, "NS", ns), plan.Options{}), "rnd"), plan.StateInSync, plan.ActionNone)
}

// A chart whose templates read .Capabilities.APIVersions for a group it names (here through a
// value) is rendered again once the cluster serves that group, and sees it.
func TestNewAPIGroupThatAChartReadsIsRendered(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	group := crdGroup(t, "gadgets")
	body := `
releases:
  - name: caps
    namespace: NS
    chart: CHARTS/random-caps
    values: {group: GROUP}
`
	h.transactOK(body, "NS", ns, "GROUP", group)
	wantState(t, releaseNamed(t, h.plan(h.resolve(body, "NS", ns, "GROUP", group), plan.Options{}), "caps"), plan.StateInSync, plan.ActionNone)

	servedGadgets(t, group)
	h = h.reconnected()
	r := releaseNamed(t, h.plan(h.resolve(body, "NS", ns, "GROUP", group), plan.Options{}), "caps")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if data, _ := change(t, r, "ConfigMap", "caps").Planned["data"].(map[string]any); data["SERVED"] != "true" {
		t.Errorf("ConfigMap caps planned with data %v, want SERVED=true", data)
	}
}
