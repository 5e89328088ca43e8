package cli_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/testenv"
)

const webApp = `  - {name: web, namespace: NS, chart: CHARTS/app}
`

// scaleAs sets the replicas of Deployment web through its scale subresource with field
// manager manager, as the HPA's controller (kube-controller-manager) does.
func scaleAs(t *testing.T, ns, manager string, replicas int32) {
	t.Helper()
	s := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns}, Spec: autoscalingv1.ScaleSpec{Replicas: replicas}}
	if _, err := env.Client.AppsV1().Deployments(ns).UpdateScale(t.Context(), "web", s, metav1.UpdateOptions{FieldManager: manager}); err != nil {
		t.Fatal(err)
	}
}

func replicasOf(t *testing.T, ns string) int32 {
	t.Helper()
	dep, err := env.Client.AppsV1().Deployments(ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Spec.Replicas == nil {
		t.Fatal("deployment web has no replicas")
	}
	return *dep.Spec.Replicas
}

// planJSON runs kaji plan -o json and returns the plan of release web, decoded loosely.
func planJSON(t *testing.T, p *flagsProject, args ...string) map[string]any {
	t.Helper()
	r := p.kaji(t, "", false, append([]string{"plan", "-o", "json"}, args...)...)
	if r.code != cli.ExitOK {
		t.Fatalf("plan -o json: exit %d\n%s%s", r.code, r.out, r.err)
	}
	var doc struct{ Releases []map[string]any }
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("plan -o json: %v\n%s", err, r.out)
	}
	for _, rel := range doc.Releases {
		if rel["name"] == "web" {
			return rel
		}
	}
	t.Fatalf("plan has no release web:\n%s", r.out)
	return nil
}

// conflictsOf returns the conflicts of Deployment web in a release of plan -o json.
func conflictsOf(rel map[string]any) []any {
	changes, _ := rel["changes"].([]any)
	for _, c := range changes {
		if c := c.(map[string]any); c["kind"] == "Deployment" {
			conflicts, _ := c["conflicts"].([]any)
			return conflicts
		}
	}
	return nil
}

// A field that a controller set (the HPA's, through the scale subresource) is not taken by a
// plain apply: the plan names the field and its manager, apply refuses the release and says
// how to go on, and the controller's value stays. --force-conflicts, and then forceConflicts:
// true in kaji.yaml, take it.
func TestApplyRefusesFieldsOfAnotherManager(t *testing.T) {
	p := newFlagsProject(t, webApp)
	if r := p.kaji(t, "", false, "apply", "--yes"); r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	scaleAs(t, p.ns, "kube-controller-manager", 3)

	r := p.kaji(t, "", false, "plan")
	for _, want := range []string{
		`x web (` + p.ns + `): refused: other field managers own fields that apply would change`,
		`conflict: spec.replicas is owned by "kube-controller-manager" through the scale subresource (not kubectl: apply refuses it`,
		`apply refuses it: Deployment.apps web spec.replicas is owned by "kube-controller-manager"`,
		"1 refused (conflicts with other field managers)",
	} {
		if r.code != cli.ExitOK || !strings.Contains(r.out, want) {
			t.Errorf("plan lacks %q: exit %d\n%s%s", want, r.code, r.out, r.err)
		}
	}
	if r := p.kaji(t, "", false, "plan", "--detailed-exitcode"); r.code != cli.ExitChanges {
		t.Errorf("plan --detailed-exitcode of a refused release: exit %d, want %d", r.code, cli.ExitChanges)
	}
	rel := planJSON(t, p)
	conflicts := conflictsOf(rel)
	if rel["action"] != "refused" || rel["forceConflicts"] != false || len(conflicts) != 1 {
		t.Fatalf("plan -o json: action %v, forceConflicts %v, conflicts %v; want refused, false, one", rel["action"], rel["forceConflicts"], conflicts)
	}
	want := map[string]any{"path": "spec.replicas", "manager": "kube-controller-manager", "subresource": "scale", "managerKind": "other", "pointer": "/spec/replicas"}
	if c := conflicts[0].(map[string]any); len(c) != len(want) || c["path"] != want["path"] || c["manager"] != want["manager"] ||
		c["subresource"] != want["subresource"] || c["managerKind"] != want["managerKind"] || c["pointer"] != want["pointer"] {
		t.Errorf("conflict %v, want %v", c, want)
	}

	r = p.kaji(t, "", false, "apply", "--yes")
	if r.code != cli.ExitError {
		t.Errorf("apply of a refused release: exit %d, want %d\n%s%s", r.code, cli.ExitError, r.out, r.err)
	}
	for _, want := range []string{
		`apply refuses to take fields that other field managers own: Deployment.apps web: spec.replicas is owned by "kube-controller-manager"`,
		"kaji apply --force-conflicts", "forceConflicts: true on release web",
		"ignoreDifferences: [{kind: Deployment, name: web, paths: [/spec/replicas]}]",
	} {
		if !strings.Contains(r.out+r.err, want) {
			t.Errorf("apply output lacks %q:\n%s%s", want, r.out, r.err)
		}
	}
	if n := replicasOf(t, p.ns); n != 3 {
		t.Errorf("replicas after a refused apply = %d, want the controller's 3", n)
	}
	if n := p.helmSecrets(t); n != 1 {
		t.Errorf("%d revisions after a refused apply, want 1", n)
	}

	if rel := planJSON(t, p, "--force-conflicts"); rel["action"] != "upgrade" || rel["forceConflicts"] != true {
		t.Errorf("plan --force-conflicts: action %v, forceConflicts %v; want upgrade, true", rel["action"], rel["forceConflicts"])
	}
	if r := p.kaji(t, "", false, "apply", "--yes", "--force-conflicts"); r.code != cli.ExitOK {
		t.Fatalf("apply --force-conflicts: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if n := replicasOf(t, p.ns); n != 1 {
		t.Errorf("replicas after apply --force-conflicts = %d, want the chart's 1", n)
	}

	scaleAs(t, p.ns, "kube-controller-manager", 4)
	p.write(t, `  - {name: web, namespace: NS, chart: CHARTS/app, forceConflicts: true}
`)
	if r := p.kaji(t, "", false, "apply", "--yes"); r.code != cli.ExitOK || !strings.Contains(r.out, "(forcing the fields that others changed)") {
		t.Fatalf("apply with forceConflicts: true: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if n := replicasOf(t, p.ns); n != 1 {
		t.Errorf("replicas after apply with forceConflicts: true = %d, want the chart's 1", n)
	}
}

// With ignoreDifferences, the replicas that a controller owns are nobody's business: the plan
// is in sync and says a field is ignored, and an upgrade for another change in the same
// Deployment leaves them to the controller, without a conflict.
func TestIgnoreDifferencesLeavesFieldsToTheirOwner(t *testing.T) {
	web := `  - name: web
    namespace: NS
    chart: CHARTS/app
    values: {image: {tag: "1.27"}}
`
	p := newFlagsProject(t, web)
	if r := p.kaji(t, "", false, "apply", "--yes"); r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	scaleAs(t, p.ns, "hpa-like-controller", 3)
	ignoring := func(tag string) string {
		return strings.Replace(web, "1.27", tag, 1) + `    ignoreDifferences:
      - {kind: Deployment, name: web, paths: [/spec/replicas]}
`
	}
	p.write(t, ignoring("1.27"))

	r := p.kaji(t, "", false, "plan", "--detailed-exitcode")
	if r.code != cli.ExitOK || !strings.Contains(r.out, "in-sync") || !strings.Contains(r.out, "; 1 field ignored") {
		t.Fatalf("plan with ignoreDifferences: exit %d, want 0, in sync, 1 field ignored\n%s%s", r.code, r.out, r.err)
	}
	rel := planJSON(t, p)
	ignored, _ := rel["ignored"].([]any)
	if rel["state"] != "in-sync" || len(ignored) != 1 || ignored[0].(map[string]any)["path"] != "/spec/replicas" {
		t.Errorf("plan -o json: state %v, ignored %v; want in-sync and /spec/replicas", rel["state"], rel["ignored"])
	}

	// Another change in the same Deployment: an upgrade, without a conflict and without replicas.
	p.write(t, ignoring("1.28"))
	rel = planJSON(t, p)
	if rel["action"] != "upgrade" || rel["forceConflicts"] != false || len(conflictsOf(rel)) != 0 {
		t.Fatalf("plan of a new image: action %v, forceConflicts %v, conflicts %v; want upgrade without conflicts",
			rel["action"], rel["forceConflicts"], conflictsOf(rel))
	}
	if r := p.kaji(t, "", false, "apply", "--yes"); r.code != cli.ExitOK {
		t.Fatalf("apply of a new image: exit %d\n%s%s", r.code, r.out, r.err)
	}
	dep, err := env.Client.AppsV1().Deployments(p.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dep.Spec.Template.Spec.Containers[0].Image; got != "nginx:1.28" || *dep.Spec.Replicas != 3 {
		t.Errorf("after the upgrade: image %s, replicas %d; want nginx:1.28 and the controller's 3", got, *dep.Spec.Replicas)
	}
	for _, m := range dep.ManagedFields {
		if m.Manager == "helm" && m.FieldsV1 != nil && strings.Contains(string(m.FieldsV1.Raw), `"f:replicas"`) {
			t.Errorf("helm owns spec.replicas after the upgrade: %s", m.FieldsV1.Raw)
		}
	}
	if r := p.kaji(t, "", false, "plan", "--detailed-exitcode"); r.code != cli.ExitOK {
		t.Errorf("plan after the upgrade: exit %d, want 0\n%s%s", r.code, r.out, r.err)
	}
}

// Changes made with the real kubectl are drift by hand, whatever field manager each command
// records (kubectl scale records "kubectl", through the scale subresource; kubectl patch
// records "kubectl-patch"): a plain apply takes the fields back.
func TestApplyRepairsWhatKubectlChanged(t *testing.T) {
	kubectl, err := testenv.Binary("kubectl")
	if err != nil {
		t.Fatal(err)
	}
	p := newFlagsProject(t, webApp)
	if r := p.kaji(t, "", false, "apply", "--yes"); r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, args := range [][]string{
		{"scale", "deployment", "web", "--replicas=3"},
		{"patch", "deployment", "web", "-p", `{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}}}}`},
	} {
		cmd := exec.CommandContext(t.Context(), kubectl, append([]string{"--kubeconfig", env.KubeconfigPath, "--context", env.ContextName, "-n", p.ns}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	rel := planJSON(t, p)
	managers := map[string]bool{}
	for _, c := range conflictsOf(rel) {
		c := c.(map[string]any)
		if c["managerKind"] != "kubectl" {
			t.Errorf("conflict %v is not by hand", c)
		}
		managers[c["manager"].(string)] = true
	}
	if rel["state"] != "drifted" || rel["action"] != "upgrade" || rel["forceConflicts"] != true || !managers["kubectl"] || !managers["kubectl-patch"] {
		t.Fatalf("plan after kubectl: state %v, action %v, forceConflicts %v, conflicts %v; want drifted, upgrade, forced, kubectl and kubectl-patch",
			rel["state"], rel["action"], rel["forceConflicts"], conflictsOf(rel))
	}
	r := p.kaji(t, "", false, "plan")
	if !strings.Contains(r.out, `conflict: spec.replicas is owned by "kubectl" through the scale subresource (changed with kubectl: apply repairs it)`) {
		t.Errorf("plan does not say that apply repairs kubectl's change:\n%s", r.out)
	}

	if r := p.kaji(t, "", false, "apply", "--yes"); r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	dep, err := env.Client.AppsV1().Deployments(p.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := dep.Spec.Template.Spec.Containers[0].Image; *dep.Spec.Replicas != 1 || got != "nginx:1.27" {
		t.Errorf("after apply: replicas %d, image %s; want the chart's 1 and nginx:1.27", *dep.Spec.Replicas, got)
	}
}
