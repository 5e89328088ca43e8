package cli_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// An operator whose templates install a CRD, and a release that needs it with a resource of
// that kind, on an empty namespace: one plan shows both, the resource as a creation that
// arrives with the operator; one apply installs both; the next plan is in sync.
func TestPlanAndApplyAKindThatArrivesWithANeededRelease(t *testing.T) {
	env.Require(t)
	group := "g" + strings.ToLower(rand.Text()[:10]) + ".kaji-test.example.com"
	client, err := apiextensions.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), "gadgets."+group, metav1.DeleteOptions{})
	})
	flags, ns, _ := planProject(t, "arrival", strings.ReplaceAll(`
releases:
  - name: operator
    namespace: NS1
    chart: CHARTS/operator
    values: {group: GROUP, kind: Gadget, plural: gadgets}
  - name: gadget
    namespace: NS1
    chart: CHARTS/widget
    values: {group: GROUP, kind: Gadget}
    needs: [operator]
`, "GROUP", group))

	r := kaji(t, "", false, append([]string{"plan"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("plan exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{
		"+ Gadget." + group + " gadget (" + ns + ")",
		"kind arrives with release operator, whose templates install CRD gadgets." + group,
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("plan lacks %q:\n%s", want, r.out)
		}
	}

	r = kaji(t, "", false, append([]string{"plan", "-o", "json"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("plan -o json exit %d\n%s%s", r.code, r.out, r.err)
	}
	doc := checkPlanDocument(t, r.out)
	var arrives []any
	for _, rel := range doc["releases"].([]any) {
		for _, c := range rel.(map[string]any)["changes"].([]any) {
			if ch := c.(map[string]any); ch["kind"] == "Gadget" {
				arrives = append(arrives, ch["arrivesWith"], ch["action"])
			}
		}
	}
	if len(arrives) != 2 || arrives[0] != "operator" || arrives[1] != "create" {
		t.Errorf("the Gadget of plan -o json: arrivesWith, action = %v; want operator, create", arrives)
	}

	r = kaji(t, "", false, append([]string{"apply", "--yes"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.out, "apply: 2 done, 0 failed, 0 skipped") {
		t.Fatalf("apply exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = kaji(t, "", false, append([]string{"plan", "--detailed-exitcode"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("plan after apply: exit %d (want 0, in sync)\n%s%s", r.code, r.out, r.err)
	}
}
