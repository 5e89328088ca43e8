package plan_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/plan"
)

// crdGroup returns a group of its own for a test's CRD, which is cluster-scoped and so seen by
// every test, and deletes the CRD of plural in it when the test ends.
func crdGroup(t *testing.T, plural string) string {
	t.Helper()
	group := "g" + strings.ToLower(rand.Text()[:10]) + ".kaji-test.example.com"
	client, err := apiextensions.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), plural+"."+group, metav1.DeleteOptions{})
	})
	return group
}

// wantArrival checks that the change of kind and name is a creation, not dry-run, that arrives
// with release from.
func wantArrival(t *testing.T, r *plan.Release, kind, name, from string) {
	t.Helper()
	c := change(t, r, kind, name)
	if c.Err != nil || c.Action != plan.ChangeCreate || c.ArrivesWith != from || !strings.Contains(c.Note, "kind arrives with release "+from) {
		t.Fatalf("release %s: %s %s = %+v; want a create whose kind arrives with release %s", r.Name, kind, name, c, from)
	}
}

// A custom resource of a kind that the cluster does not serve yet, whose CRD a release it needs
// installs, is planned as a creation that arrives with that release; apply installs both, and
// the next plan is in sync.
func TestKindArrivingWithANeededRelease(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	group := crdGroup(t, "gizmos")
	res := h.resolve(`
releases:
  - name: operator
    namespace: NS
    chart: CHARTS/operator
    values: {group: GROUP, kind: Gizmo, plural: gizmos}
  - name: gizmo
    namespace: NS
    chart: CHARTS/widget
    values: {group: GROUP, kind: Gizmo}
    needs: [operator]
`, "NS", ns, "GROUP", group)

	p := h.plan(res, plan.Options{})
	if err := p.Err(); err != nil {
		t.Fatalf("plan: %v", err)
	}
	wantState(t, releaseNamed(t, p, "operator"), plan.StateInstall, plan.ActionInstall)
	gizmo := releaseNamed(t, p, "gizmo")
	wantState(t, gizmo, plan.StateInstall, plan.ActionInstall)
	wantArrival(t, gizmo, "Gizmo", "gizmo", "operator")
	// Its templates see the kind in .Capabilities, as they will when apply renders them.
	if c := change(t, gizmo, "ConfigMap", "gizmo-sees-kind"); c.Action != plan.ChangeCreate || c.Err != nil {
		t.Errorf("ConfigMap gizmo-sees-kind: %+v", c)
	}

	// One apply installs both: the CRD of operator's templates is mapped by gizmo's install.
	h.apply(res)
	p = h.plan(res, plan.Options{})
	for _, name := range []string{"operator", "gizmo"} {
		wantState(t, releaseNamed(t, p, name), plan.StateInSync, plan.ActionNone)
	}
}

// The release that provides the kind may be needed through others.
func TestKindArrivingWithATransitiveNeed(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	group := crdGroup(t, "doodads")
	res := h.resolve(`
releases:
  - name: a
    namespace: NS
    chart: CHARTS/operator
    values: {group: GROUP, kind: Doodad, plural: doodads}
  - name: b
    namespace: NS
    chart: CHARTS/web
    needs: [a]
  - name: c
    namespace: NS
    chart: CHARTS/widget
    values: {group: GROUP, kind: Doodad}
    needs: [b]
`, "NS", ns, "GROUP", group)

	p := h.plan(res, plan.Options{})
	if err := p.Err(); err != nil {
		t.Fatalf("plan: %v", err)
	}
	wantArrival(t, releaseNamed(t, p, "c"), "Doodad", "c", "a")
}

// A kind that nothing provides is an error naming the kind and the release, with the kind it
// may misspell; one that a release provides which this one does not need says to add it to
// needs; a CRD in the same templates as a resource of its kind is Helm's known limitation.
func TestKindThatDoesNotArrive(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	group := crdGroup(t, "sprockets")
	res := h.resolve(`
releases:
  - name: operator
    namespace: NS
    chart: CHARTS/operator
    values: {group: GROUP, kind: Sprocket, plural: sprockets}
  - name: typo
    namespace: NS
    chart: CHARTS/widget
    values: {group: GROUP, kind: Sprockett}
    needs: [operator]
  - name: unneeded
    namespace: NS
    chart: CHARTS/widget
    values: {group: GROUP, kind: Sprocket}
  - name: nowhere
    namespace: NS
    chart: CHARTS/widget
    values: {group: nowhere.kaji-test.example.com, kind: Nothing}
  - name: version
    namespace: NS
    chart: CHARTS/widget
    values: {group: GROUP, kind: Sprocket, version: v2}
    needs: [operator]
  - name: served
    namespace: NS
    chart: CHARTS/widget
    values: {group: apps, kind: Deploymant}
  - name: self
    namespace: NS
    chart: CHARTS/operator
    values: {group: self.GROUP, kind: Sprocket, plural: sprockets, widget: true}
`, "NS", ns, "GROUP", group)

	p := h.plan(res, plan.Options{})
	for _, c := range []struct {
		release, kind, name string
		want                []string
	}{
		{"typo", "Sprockett", "typo", []string{"Sprockett." + group, "release typo", "did you mean Sprocket." + group}},
		{"unneeded", "Sprocket", "unneeded", []string{"arrives with release operator", "needs: [operator]"}},
		{"nowhere", "Nothing", "nowhere", []string{"Nothing.nowhere.kaji-test.example.com", "release nowhere", "nothing in the plan provides"}},
		{"version", "Sprocket", "version", []string{group + "/v2", "serves v1"}},
		{"served", "Deploymant", "served", []string{"did you mean Deployment.apps"}},
		{"self", "Sprocket", "self-own", []string{"same release's templates", "crds/"}},
	} {
		r := releaseNamed(t, p, c.release)
		ch := change(t, r, c.kind, c.name)
		if ch.Err == nil {
			t.Errorf("release %s: %s %s planned without error: %+v", c.release, c.kind, c.name, ch)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(ch.Err.Error(), w) {
				t.Errorf("release %s: error %q lacks %q", c.release, ch.Err, w)
			}
		}
	}
	wantState(t, releaseNamed(t, p, "operator"), plan.StateInstall, plan.ActionInstall)
}

// A resource whose CRD is in its own chart's crds/ arrives with its own release: helm installs
// crds/ before the templates.
func TestKindArrivingFromTheChartsCRDsDirectory(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	res := h.resolve(`
releases:
  - name: things
    namespace: NS
    chart: CHARTS/crdsdir
`, "NS", ns)
	r := releaseNamed(t, h.plan(res, plan.Options{}), "things")
	wantState(t, r, plan.StateInstall, plan.ActionInstall)
	wantArrival(t, r, "Thingamajig", "things", "things")
	if c := change(t, r, "Thingamajig", "things"); !strings.Contains(c.Note, "crds/") {
		t.Errorf("note %q does not say the kind comes from crds/", c.Note)
	}
}
