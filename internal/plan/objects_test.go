package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/plan"
)

const webTrack = `
releases:
  - name: web
    namespace: NS
    chart: CHARTS/web
    values:
      track: TRACK
      extra: EXTRA
`

func TestImmutableSelectorChangeIsAnErrorAtPlanTime(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	h.apply(h.resolve(webTrack, "NS", ns, "TRACK", "stable", "EXTRA", "false"))

	p := h.plan(h.resolve(webTrack, "NS", ns, "TRACK", "canary", "EXTRA", "false"), plan.Options{})
	r := releaseNamed(t, p, "web")
	if r.State != plan.StateUpgrade {
		t.Fatalf("state %s (%s), want upgrade", r.State, r.Reason)
	}
	dep := change(t, r, "Deployment", "web")
	if dep.Err == nil || !strings.Contains(dep.Err.Error(), "field is immutable") {
		t.Fatalf("selector change: %s, err %v; want the API server's immutable-field error", dep.Action, dep.Err)
	}
	if err := p.Err(); err == nil || !strings.Contains(err.Error(), "Deployment.apps web") {
		t.Errorf("plan error %v, want one naming the deployment", err)
	}
	if c := change(t, r, "ConfigMap", "web"); c.Err != nil || c.Action != plan.ChangeUnchanged {
		t.Errorf("configmap: %s %v", c.Action, c.Err)
	}
}

func TestRemovedObjectIsDeleted(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	h.apply(h.resolve(webTrack, "NS", ns, "TRACK", "stable", "EXTRA", "true"))
	r := releaseNamed(t, h.plan(h.resolve(webTrack, "NS", ns, "TRACK", "stable", "EXTRA", "false"), plan.Options{}), "web")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	c := change(t, r, "ConfigMap", "web-extra")
	if c.Action != plan.ChangeDelete || c.Live == nil || c.Planned != nil {
		t.Errorf("removed configmap: %+v", c)
	}
	if last := r.Changes[len(r.Changes)-1]; last.Object.Name != "web-extra" {
		t.Errorf("deletions do not come last: %+v", r.Changes)
	}
}

func TestSecretDataIsMarkedSensitive(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	body := `
releases:
  - name: creds
    namespace: NS
    chart: CHARTS/secret
    values:
      password: PASSWORD
`
	h.apply(h.resolve(body, "NS", ns, "PASSWORD", "first-pass"))
	// stringData as applied compares with the live data: no drift, in sync.
	wantState(t, releaseNamed(t, h.plan(h.resolve(body, "NS", ns, "PASSWORD", "first-pass"), plan.Options{}), "creds"), plan.StateInSync, plan.ActionNone)

	r := releaseNamed(t, h.plan(h.resolve(body, "NS", ns, "PASSWORD", "second-password"), plan.Options{}), "creds")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	c := change(t, r, "Secret", "creds")
	f := field(c.Diff, "data.password")
	if f == nil || !f.Sensitive || c.Action != plan.ChangeUpdate {
		t.Fatalf("secret %s, diff %+v; want a sensitive change of data.password", c.Action, c.Diff)
	}
	if len(c.Diff) != 1 {
		t.Errorf("secret diff has more than the password: %+v", c.Diff)
	}
}

func TestNondeterministicChartIsMarked(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	res := h.resolve(`
releases:
  - name: rnd
    namespace: NS
    chart: CHARTS/random
`, "NS", ns)
	h.apply(res)
	r := releaseNamed(t, h.plan(res, plan.Options{}), "rnd")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if !strings.Contains(r.Reason, "renders differently each time") {
		t.Errorf("reason %q", r.Reason)
	}
}

func TestMissingNamespace(t *testing.T) {
	h := newHarness(t)
	body := `
releases:
  - name: web
    namespace: kaji-plan-nowhere
    chart: CHARTS/web
    createNamespace: CREATE
`
	r := releaseNamed(t, h.plan(h.resolve(body, "CREATE", "true"), plan.Options{}), "web")
	wantState(t, r, plan.StateInstall, plan.ActionInstall)
	c := change(t, r, "Deployment", "web")
	if c.Err != nil || !strings.Contains(c.Note, "apply creates it") || c.Planned == nil {
		t.Errorf("with createNamespace: err %v, note %q", c.Err, c.Note)
	}
	r = releaseNamed(t, h.plan(h.resolve(body, "CREATE", "false"), plan.Options{}), "web")
	if c := change(t, r, "Deployment", "web"); c.Err == nil || !strings.Contains(c.Err.Error(), "createNamespace") {
		t.Errorf("without createNamespace: err %v", c.Err)
	}
}

func TestCRDThatDiffersFromTheChartIsWarnedAbout(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	res := h.resolve(`
releases:
  - name: widgets
    namespace: NS
    chart: CHARTS/crd
    crds: create
`, "NS", ns)

	// Not installed: the install creates the CRD, and says so.
	r := releaseNamed(t, h.plan(res, plan.Options{}), "widgets")
	wantState(t, r, plan.StateInstall, plan.ActionInstall)
	if c := change(t, r, "CustomResourceDefinition", "widgets.plan.kaji.dev"); c.Action != plan.ChangeCreate || !strings.Contains(c.Note, "crds/") {
		t.Errorf("crd on install: %+v", c)
	}

	// The live CRD lacks the chart's color property.
	client, err := apiextensions.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.plan.kaji.dev"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "plan.kaji.dev", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Widget", Plural: "widgets", Singular: "widget", ListKind: "WidgetList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{"spec": {Type: "object",
						Properties: map[string]apiextensionsv1.JSONSchemaProps{"size": {Type: "integer"}}}},
				}},
			}},
		},
	}
	if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(t.Context(), crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// t.Context is done by now.
		_ = client.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), crd.Name, metav1.DeleteOptions{})
	})
	r = releaseNamed(t, h.plan(res, plan.Options{}), "widgets")
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "CRD widgets.plan.kaji.dev differs from the chart's crds/") ||
		!strings.Contains(r.Warnings[0], "color") {
		t.Errorf("warnings %q, want one about the CRD's missing color property", r.Warnings)
	}
}

func TestExistingObjectOfNoReleaseIsAnError(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	// Someone made a ConfigMap called web by hand.
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Data: map[string]string{"GREETING": "by hand"}}
	if _, err := env.Client.CoreV1().ConfigMaps(ns).Create(t.Context(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	p := h.plan(h.resolve(webRelease, "NS", ns, "GREETING", "hello"), plan.Options{})
	r := releaseNamed(t, p, "web")
	c := change(t, r, "ConfigMap", "web")
	if c.Err == nil || !strings.Contains(c.Err.Error(), `label "app.kubernetes.io/managed-by" is missing`) {
		t.Errorf("install over a hand-made configmap: %s, %v; want helm's ownership error", c.Action, c.Err)
	}
	if p.Err() == nil {
		t.Error("the plan has no error")
	}
}

func TestUnknownReleaseName(t *testing.T) {
	h := newHarness(t)
	_, err := h.planner().Plan(t.Context(), h.resolve(webRelease, "NS", "default", "GREETING", "x"), plan.Options{Releases: []string{"wbe"}})
	var unknown *plan.UnknownReleaseError
	if !errors.As(err, &unknown) || unknown.Hint != "web" {
		t.Errorf("err = %v, want an unknown release suggesting web", err)
	}
}

func TestRenderedAsTheNextRevision(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	res := h.resolve(`
releases:
  - name: rev
    namespace: NS
    chart: CHARTS/revision
`, "NS", ns)
	r := releaseNamed(t, h.plan(res, plan.Options{}), "rev")
	if c := change(t, r, "ConfigMap", "rev"); c.Planned["data"].(map[string]any)["REVISION"] != "1" || c.Planned["data"].(map[string]any)["UPGRADE"] != "false" {
		t.Errorf("install renders %v, want revision 1, not an upgrade", c.Planned["data"])
	}
	if len(r.Hooks) != 1 || r.Hooks[0].Name != "rev-hook" || len(r.Hooks[0].Events) != 1 || r.Hooks[0].Events[0] != "pre-install" {
		t.Errorf("hooks %+v, want rev-hook on pre-install", r.Hooks)
	}
	h.apply(res)
	// A chart that shows the revision changes on every upgrade, as apply would store it.
	r = releaseNamed(t, h.plan(res, plan.Options{}), "rev")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if !strings.Contains(r.Reason, "rendered objects changed") {
		t.Errorf("reason %q", r.Reason)
	}
	if len(r.Hooks) != 1 || r.Hooks[0].Events[0] != "pre-upgrade" {
		t.Errorf("hooks %+v, want rev-hook on pre-upgrade", r.Hooks)
	}
	c := change(t, r, "ConfigMap", "rev")
	if f := field(c.Diff, "data.REVISION"); f == nil || f.Old != "1" || f.New != "2" {
		t.Errorf("diff %+v, want data.REVISION 1 → 2", c.Diff)
	}
	if f := field(c.Diff, "data.UPGRADE"); f == nil || f.New != "true" {
		t.Errorf("diff %+v, want data.UPGRADE false → true", c.Diff)
	}
}
