package plan_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"kaji.dev/kaji/internal/plan"
)

const webRelease = `
releases:
  - name: web
    namespace: NS
    chart: CHARTS/web
    values:
      greeting: GREETING
`

func TestInstallThenInSyncThenUpgrade(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	res := h.resolve(webRelease, "NS", ns, "GREETING", "hello")

	p := h.plan(res, plan.Options{})
	r := releaseNamed(t, p, "web")
	wantState(t, r, plan.StateInstall, plan.ActionInstall)
	if r.Revision != 1 || r.Chart != "web" || r.Version != "0.1.0" {
		t.Errorf("install of revision %d of %s %s, want revision 1 of web 0.1.0", r.Revision, r.Chart, r.Version)
	}
	dep := change(t, r, "Deployment", "web")
	if dep.Action != plan.ChangeCreate || dep.Err != nil {
		t.Fatalf("deployment: %s, %v", dep.Action, dep.Err)
	}
	// The dry run shows what the API server defaults.
	spec := dep.Planned["spec"].(map[string]any)
	if _, ok := spec["strategy"]; !ok {
		t.Errorf("planned deployment has no defaulted strategy: %v", spec)
	}
	containers := spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
	if got := containers[0].(map[string]any)["imagePullPolicy"]; got != "IfNotPresent" {
		t.Errorf("planned imagePullPolicy = %v, want the server default IfNotPresent", got)
	}
	if !p.HasChanges() {
		t.Error("a plan with an install has no changes")
	}

	h.apply(res)
	p = h.plan(res, plan.Options{})
	r = releaseNamed(t, p, "web")
	wantState(t, r, plan.StateInSync, plan.ActionNone)
	if p.HasChanges() || r.Revision != 0 {
		t.Errorf("in-sync plan: changes %v, revision %d", p.HasChanges(), r.Revision)
	}
	for _, c := range r.Changes {
		if c.Action != plan.ChangeUnchanged {
			t.Errorf("in-sync release has a change: %+v", c)
		}
	}

	// A changed value: upgrade, and the ConfigMap's diff shows old → new.
	changed := h.resolve(webRelease, "NS", ns, "GREETING", "hello again")
	p = h.plan(changed, plan.Options{})
	r = releaseNamed(t, p, "web")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if r.Revision != 2 || !strings.Contains(r.Reason, "values changed") {
		t.Errorf("upgrade to revision %d because %q; want revision 2 because values changed", r.Revision, r.Reason)
	}
	cm := change(t, r, "ConfigMap", "web")
	f := field(cm.Diff, "data.GREETING")
	if cm.Action != plan.ChangeUpdate || f == nil || f.Old != "hello" || f.New != "hello again" {
		t.Errorf("configmap change %s, diff %+v; want data.GREETING hello → hello again", cm.Action, cm.Diff)
	}
	if len(cm.Diff) != 1 {
		t.Errorf("configmap diff has noise: %+v", cm.Diff)
	}
	if d := change(t, r, "Deployment", "web"); d.Action != plan.ChangeUnchanged {
		t.Errorf("deployment %s with diff %+v, want unchanged", d.Action, d.Diff)
	}
}

func TestDriftedByScaleAndByDelete(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	res := h.resolve(webRelease, "NS", ns, "GREETING", "hello")
	h.apply(res)

	// kubectl scale deployment web --replicas=3
	scale := []byte(`{"spec":{"replicas":3}}`)
	if _, err := env.Client.AppsV1().Deployments(ns).Patch(t.Context(), "web", types.MergePatchType, scale,
		metav1.PatchOptions{FieldManager: "kubectl"}, "scale"); err != nil {
		t.Fatal(err)
	}
	p := h.plan(res, plan.Options{})
	r := releaseNamed(t, p, "web")
	wantState(t, r, plan.StateDrifted, plan.ActionUpgrade)
	if !r.ForceConflicts || !strings.Contains(r.Reason, "Deployment.apps web (spec.replicas)") {
		t.Errorf("drifted: force %v, reason %q", r.ForceConflicts, r.Reason)
	}
	dep := change(t, r, "Deployment", "web")
	if f := field(dep.Drift, "spec.replicas"); f == nil || f.Old != int64(1) || f.New != int64(3) {
		t.Errorf("drift %+v, want spec.replicas 1 → 3", dep.Drift)
	}
	if f := field(dep.Diff, "spec.replicas"); dep.Action != plan.ChangeUpdate || f == nil || f.Old != int64(3) || f.New != int64(1) {
		t.Errorf("deployment %s, diff %+v; want spec.replicas 3 → 1", dep.Action, dep.Diff)
	}
	if c := change(t, r, "ConfigMap", "web"); c.Action != plan.ChangeUnchanged {
		t.Errorf("configmap %s, want unchanged", c.Action)
	}

	// kubectl delete configmap web
	if err := env.Client.CoreV1().ConfigMaps(ns).Delete(t.Context(), "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	r = releaseNamed(t, h.plan(res, plan.Options{}), "web")
	wantState(t, r, plan.StateDrifted, plan.ActionUpgrade)
	cm := change(t, r, "ConfigMap", "web")
	if cm.Action != plan.ChangeCreate || !cm.Missing || !strings.Contains(r.Reason, "ConfigMap web (deleted)") {
		t.Errorf("deleted configmap: %s, missing %v, reason %q", cm.Action, cm.Missing, r.Reason)
	}

	// Apply repairs the drift, forcing the field that kubectl took over.
	rn := h.runner()
	if _, err := rn.Releases.Apply(t.Context(), desiredOf(t, r, true)); err != nil {
		t.Fatalf("apply with force: %v", err)
	}
	wantState(t, releaseNamed(t, h.plan(res, plan.Options{}), "web"), plan.StateInSync, plan.ActionNone)
}

// Helm's upgrade keeps the previous values when it is given none; kaji's must not, or the
// plan would promise a change that apply never makes.
func TestRemovingEveryValueIsAnUpgradeThatConverges(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	h.apply(h.resolve(webRelease, "NS", ns, "GREETING", "custom"))
	bare := h.resolve(`
releases:
  - name: web
    namespace: NS
    chart: CHARTS/web
`, "NS", ns)
	r := releaseNamed(t, h.plan(bare, plan.Options{}), "web")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if f := field(change(t, r, "ConfigMap", "web").Diff, "data.GREETING"); f == nil || f.Old != "custom" || f.New != "hello" {
		t.Errorf("greeting diff %+v, want custom → the chart's default hello", f)
	}
	h.apply(bare)
	wantState(t, releaseNamed(t, h.plan(bare, plan.Options{}), "web"), plan.StateInSync, plan.ActionNone)
}
