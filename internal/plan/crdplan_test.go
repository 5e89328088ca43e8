package plan_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/plan"
)

// gadgetChart writes a chart whose crds/ holds a CRD of kind Gadget in group, version v1 with
// the spec properties size and color, and returns its directory.
func gadgetChart(t *testing.T, group string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "gadgets")
	files := map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: gadgets\nversion: 0.1.0\n",
		"crds/gadgets.yaml": fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.%s
spec:
  group: %s
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
                color: {type: string}
`, group, group),
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gadgets\n",
	}
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// liveGadgetCRD creates the CRD of gadgetChart by hand, with versions (the first stored), each
// with the spec property size only.
func liveGadgetCRD(t *testing.T, group string, versions ...string) {
	t.Helper()
	client, err := apiextensions.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "gadgets." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group, Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Gadget", Plural: "gadgets", Singular: "gadget", ListKind: "GadgetList"},
		},
	}
	for i, v := range versions {
		crd.Spec.Versions = append(crd.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{
			Name: v, Served: true, Storage: i == 0,
			Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
				Type: "object",
				Properties: map[string]apiextensionsv1.JSONSchemaProps{"spec": {Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{"size": {Type: "integer"}}}},
			}},
		})
	}
	if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(t.Context(), crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := client.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), crd.Name, metav1.DeleteOptions{}); err != nil {
			t.Error(err)
		}
	})
}

// In CRD mode apply (the default) the plan shows the CRDs of crds/ as changes, dry-run: a
// CRD that changes alone upgrades the release; a change that drops a stored version is
// refused unless --force-crds.
func TestPlanShowsCRDChanges(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	group := ns + ".plan.kaji.test"
	crd := "gadgets." + group
	res := h.resolve("releases:\n  - {name: gadgets, namespace: NS, chart: CHART}\n", "NS", ns, "CHART", gadgetChart(t, group))

	r := releaseNamed(t, h.plan(res, plan.Options{}), "gadgets")
	wantState(t, r, plan.StateInstall, plan.ActionInstall)
	if c := change(t, r, "CustomResourceDefinition", crd); c.Action != plan.ChangeCreate || c.Err != nil || c.Planned == nil || len(r.Warnings) != 0 {
		t.Errorf("crd on install: %s, %v; warnings %q", c.Action, c.Err, r.Warnings)
	}
	h.apply(res)
	r = releaseNamed(t, h.plan(res, plan.Options{}), "gadgets")
	wantState(t, r, plan.StateInSync, plan.ActionNone)

	// The CRD is put back by hand without color: the release is upgraded for it alone.
	client, err := apiextensions.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	live, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(t.Context(), crd, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	delete(live.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties, "color")
	if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Update(t.Context(), live, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r = releaseNamed(t, h.plan(res, plan.Options{}), "gadgets")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if r.Reason != "CRDs changed" {
		t.Errorf("reason %q, want CRDs changed", r.Reason)
	}
	c := change(t, r, "CustomResourceDefinition", crd)
	if c.Action != plan.ChangeUpdate || len(c.Diff) == 0 || !strings.Contains(fmt.Sprint(c.Diff), "color") {
		t.Errorf("crd changed by hand: %s, diff %+v", c.Action, c.Diff)
	}
}

func TestPlanRefusesToDropAStoredCRDVersion(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	group := ns + ".plan.kaji.test"
	crd := "gadgets." + group
	// Objects are stored in v0, which the chart no longer has.
	liveGadgetCRD(t, group, "v0", "v1")
	res := h.resolve("releases:\n  - {name: gadgets, namespace: NS, chart: CHART}\n", "NS", ns, "CHART", gadgetChart(t, group))
	p := h.plan(res, plan.Options{})
	c := change(t, releaseNamed(t, p, "gadgets"), "CustomResourceDefinition", crd)
	if c.Err == nil || !strings.Contains(c.Err.Error(), "removes version v0") || p.Err() == nil {
		t.Errorf("plan of a chart without the stored version v0: %s, %v", c.Action, c.Err)
	}
	p = h.plan(res, plan.Options{ForceCRDs: true})
	if c := change(t, releaseNamed(t, p, "gadgets"), "CustomResourceDefinition", crd); c.Err == nil || strings.Contains(c.Err.Error(), "removes version") {
		// The API server refuses it in turn: a stored version must stay in spec.versions.
		t.Errorf("with ForceCRDs the refusal is the API server's: %v", c.Err)
	}
}
