package plan_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/testenv"
)

// countApplies runs tx on the releases of kaji.yaml body, and returns the requests the API
// server counted meanwhile.
func countApplies(t *testing.T, h *harness, tx *apply.Transaction, body string, vars ...string) (testenv.RequestCounts, *apply.Result) {
	t.Helper()
	before, err := env.RequestCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out, err := tx.Run(t.Context(), h.resolve(body, vars...), plan.Options{})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	after, err := env.RequestCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return after.Sub(before), out
}

// An upgrade applies the objects that change and leaves alone those that the plan found
// unchanged and without drift: Helm would read and apply every object, one after the other.
// (webRelease's GREETING shows in its ConfigMap alone.)
func TestUpgradeLeavesSettledObjectsAlone(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	h.apply(h.resolve(webRelease, "NS", ns, "GREETING", "hello"))

	tx := &apply.Transaction{Planner: h.planner(), Runner: h.runner(), Flights: noFlights{}}
	cost, out := countApplies(t, h, tx, webRelease, "NS", ns, "GREETING", "changed")
	t.Logf("requests: %v", cost)
	if o := outcome(t, out, "web"); o.Err != nil {
		t.Fatalf("web: %v", o.Err)
	}
	// The ConfigMap: the plan's dry run and the upgrade's apply.
	if cost["APPLY configmaps"] != 2 || cost["APPLY deployments.apps"] != 0 || cost["APPLY services"] != 0 {
		t.Errorf("server-side applies %v, want the ConfigMap's two (dry run, apply) alone", cost)
	}
	cm, err := env.Client.CoreV1().ConfigMaps(ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil || cm.Data["GREETING"] != "changed" {
		t.Fatalf("ConfigMap %v, %v; want GREETING changed", cm.Data, err)
	}
	wantState(t, releaseNamed(t, h.plan(h.resolve(webRelease, "NS", ns, "GREETING", "changed"), plan.Options{}), "web"),
		plan.StateInSync, plan.ActionNone)
}

// An object that changed between the plan and the upgrade (here while apply asks to go on) is
// applied as Helm would: a deleted one is made again, one written by someone else is applied.
func TestUpgradeAppliesWhatChangedSinceThePlan(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	h.apply(h.resolve(webRelease, "NS", ns, "GREETING", "hello"))

	tx := &apply.Transaction{Planner: h.planner(), Runner: h.runner(), Flights: noFlights{},
		Confirm: func(ctx context.Context, p *plan.Plan) (bool, error) {
			r := p.Release("web")
			for _, kind := range []string{"Deployment", "Service"} {
				if c := change(t, r, kind, "web"); c.Action != plan.ChangeUnchanged || c.Settled == "" {
					t.Errorf("planned %s: %s, settled at %q; want unchanged and settled", kind, c.Action, c.Settled)
				}
			}
			if err := env.Client.CoreV1().Services(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
				return false, err
			}
			d, err := env.Client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			d.Labels["by-hand"] = "yes"
			_, err = env.Client.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{FieldManager: "kubectl-edit"})
			return true, err
		}}
	cost, out := countApplies(t, h, tx, webRelease, "NS", ns, "GREETING", "changed")
	t.Logf("requests: %v", cost)
	if o := outcome(t, out, "web"); o.Err != nil {
		t.Fatalf("web: %v", o.Err)
	}
	if _, err := env.Client.CoreV1().Services(ns).Get(t.Context(), "web", metav1.GetOptions{}); err != nil {
		if apierrors.IsNotFound(err) {
			t.Fatal("the Service deleted after the plan was not made again")
		}
		t.Fatal(err)
	}
	if cost["APPLY deployments.apps"] != 1 {
		t.Errorf("the Deployment written after the plan was applied %v times, want 1: %v", cost["APPLY deployments.apps"], cost)
	}
	d, err := env.Client.AppsV1().Deployments(ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	applied := false
	for _, mf := range d.ManagedFields {
		applied = applied || (mf.Manager == "helm" && mf.Operation == metav1.ManagedFieldsOperationApply && strings.Contains(string(mf.FieldsV1.Raw), `"f:replicas"`))
	}
	if !applied {
		t.Errorf("the Deployment's fields are no longer helm's: %+v", d.ManagedFields)
	}
}
