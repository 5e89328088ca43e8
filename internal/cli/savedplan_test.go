package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/savedplan"
)

// savedProject is a project of two releases, app with a values file; it returns the flags
// that point kaji at it, its namespace and the values file.
func savedProject(t *testing.T) (flags []string, ns, valuesFile string) {
	t.Helper()
	flags, ns, _ = planProject(t, "saved", `
releases:
  - name: app
    namespace: NS1
    chart: CHARTS/app
    valuesFiles: [values/app.yaml]
  - name: worker
    namespace: NS1
    chart: CHARTS/app
    needs: [app]
`)
	valuesFile = filepath.Join(filepath.Dir(flags[1]), "values", "app.yaml")
	if err := os.MkdirAll(filepath.Dir(valuesFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(valuesFile, []byte("greeting: first\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return flags, ns, valuesFile
}

// kajiOK runs kaji and fails t unless it exits 0.
func kajiOK(t *testing.T, flags []string, args ...string) run {
	t.Helper()
	r := kaji(t, "", false, append(args, flags...)...)
	if r.code != cli.ExitOK {
		t.Fatalf("kaji %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.out, r.err)
	}
	return r
}

// refused runs kaji apply --plan and fails t unless it exits 1 saying each of want.
func refused(t *testing.T, flags []string, planFile string, want ...string) run {
	t.Helper()
	r := kaji(t, "", false, append([]string{"apply", "--plan", planFile}, flags...)...)
	if r.code != cli.ExitError {
		t.Fatalf("apply --plan: exit %d, want %d\n%s%s", r.code, cli.ExitError, r.out, r.err)
	}
	if testing.Verbose() {
		t.Logf("apply --plan %s:\n%s", filepath.Base(planFile), r.err)
	}
	for _, w := range want {
		if !strings.Contains(r.err, w) {
			t.Errorf("apply --plan does not say %q:\n%s", w, r.err)
		}
	}
	return r
}

func (s *savedState) configMap(t *testing.T, name string) string {
	t.Helper()
	cm, err := env.Client.CoreV1().ConfigMaps(s.ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return cm.Data["GREETING"]
}

// revisions counts the revisions of a release in Helm's storage.
func (s *savedState) revisions(t *testing.T, name string) int {
	t.Helper()
	l, err := env.Client.CoreV1().Secrets(s.ns).List(t.Context(), metav1.ListOptions{LabelSelector: "owner=helm,name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	return len(l.Items)
}

type savedState struct{ ns string }

// A saved plan applies as it was made; one whose files, cluster or releases changed since is
// refused, naming what changed, with nothing applied.
func TestSavedPlan(t *testing.T) {
	flags, ns, valuesFile := savedProject(t)
	st := &savedState{ns: ns}
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }

	// plan -o json --out: the JSON on stdout, the plan in the file, readable by its owner alone.
	r := kajiOK(t, flags, "plan", "-o", "json", "--out", file("install.yaml"))
	if !json.Valid([]byte(r.out)) {
		t.Errorf("plan -o json --out: stdout is not JSON:\n%s", r.out)
	}
	info, err := os.Stat(file("install.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode %v, want 0600", info.Mode().Perm())
	}
	r = kajiOK(t, flags, "apply", "--plan", file("install.yaml"))
	if got := st.configMap(t, "app"); got != "first" {
		t.Errorf("after apply --plan, ConfigMap app says %q, want first\n%s", got, r.out)
	}
	if st.revisions(t, "worker") != 1 {
		t.Errorf("worker has %d revisions, want 1", st.revisions(t, "worker"))
	}

	// A plan with nothing to do: nothing to do, even after a controller wrote the status of a
	// Deployment (a new resourceVersion, in a field the plan ignores).
	kajiOK(t, flags, "plan", "--out", file("in-sync.yaml"))
	dep, err := env.Client.AppsV1().Deployments(ns).Get(t.Context(), "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dep.Status.Replicas, dep.Status.ObservedGeneration = 1, dep.Generation
	if _, err := env.Client.AppsV1().Deployments(ns).UpdateStatus(t.Context(), dep, metav1.UpdateOptions{FieldManager: "kube-controller-manager"}); err != nil {
		t.Fatal(err)
	}
	r = kajiOK(t, flags, "apply", "--plan", file("in-sync.yaml"))
	if !strings.Contains(r.out, "Nothing to do") {
		t.Errorf("apply --plan of an in-sync plan:\n%s", r.out)
	}

	// An edit by hand between plan and apply: refused, naming the object; the edit stays.
	kajiOK(t, flags, "plan", "--out", file("edited.yaml"))
	cm, err := env.Client.CoreV1().ConfigMaps(ns).Get(t.Context(), "app", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["GREETING"] = "by hand"
	if _, err := env.Client.CoreV1().ConfigMaps(ns).Update(t.Context(), cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	refused(t, flags, file("edited.yaml"), "release "+ns+"/app: live object ConfigMap "+ns+"/app changed", "action none (in-sync) → upgrade (drifted)",
		"run kaji plan --out "+file("edited.yaml")+" again")
	if got := st.configMap(t, "app"); got != "by hand" {
		t.Errorf("a refused apply --plan changed ConfigMap app to %q", got)
	}

	// A new revision between plan and apply (another apply): refused, naming the revision.
	kajiOK(t, flags, "plan", "--out", file("drifted.yaml"))
	kajiOK(t, flags, "apply", "--yes")
	refused(t, flags, file("drifted.yaml"), "release "+ns+"/app: latest revision 1 (deployed) → 2 (deployed)")
	if n := st.revisions(t, "app"); n != 2 {
		t.Errorf("app has %d revisions after the refusal, want 2", n)
	}

	// The values file, then kaji.yaml, edited after the plan: refused before any request.
	kajiOK(t, flags, "plan", "--out", file("files.yaml"))
	if err := os.WriteFile(valuesFile, []byte("greeting: second\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	offline := append([]string{"apply", "--plan", file("files.yaml")}, flags...)
	offline = append(offline, "--kubeconfig", filepath.Join(dir, "no-such-kubeconfig"))
	r = kaji(t, "", false, offline...)
	if r.code != cli.ExitError || !strings.Contains(r.err, "values/app.yaml changed") || strings.Contains(r.err, "no-such-kubeconfig") {
		t.Errorf("apply --plan after the values file changed: exit %d; want a refusal naming values/app.yaml before connecting:\n%s", r.code, r.err)
	}
	planRewrite(t, flags, "needs: [app]", "needs: [app]\n    values: {greeting: w}")
	refused(t, flags, file("files.yaml"), "kaji.yaml changed", "values/app.yaml changed")
	if got := st.configMap(t, "app"); got != "first" {
		t.Errorf("a refused apply --plan changed ConfigMap app to %q", got)
	}

	// A selection is the plan's: the header says it, and apply takes it from the file; a
	// conflicting one, or another --env or --prune, is a usage error.
	r = kajiOK(t, flags, "plan", "worker", "--out", file("worker.yaml"))
	if !strings.Contains(r.out, "releases: worker (+ needs: app)") {
		t.Errorf("plan worker: the header does not say the selection:\n%s", r.out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"app"}, "--plan applies"},
		{[]string{"--prune"}, "--plan applies"},
		{[]string{"--env", "prod"}, "--plan applies"},
		{[]string{"-l", "team=x"}, "--plan applies"},
		// What a saved plan does not show is not done on it.
		{[]string{"--prune=false", "--delete-crds"}, "--delete-crds cannot be given with --plan"},
	} {
		r := kaji(t, "", false, append(append([]string{"apply", "--plan", file("worker.yaml")}, c.args...), flags...)...)
		if r.code != cli.ExitError || !strings.Contains(r.err, c.want) || !strings.Contains(r.err, "kaji --help") {
			t.Errorf("apply --plan %v: exit %d; want a usage error saying %q:\n%s", c.args, r.code, c.want, r.err)
		}
	}
	r = kajiOK(t, flags, "apply", "--plan", file("worker.yaml"), "worker")
	if got, n := st.configMap(t, "worker"), st.revisions(t, "app"); got != "w" || n != 3 {
		t.Errorf("after apply --plan worker.yaml: ConfigMap worker says %q, app has %d revisions; want w and 3\n%s", got, n, r.out)
	}
	// The same releases named in another order are the same selection.
	kajiOK(t, flags, "plan", "worker", "app", "--out", file("two.yaml"))
	kajiOK(t, flags, "apply", "--plan", file("two.yaml"), "app", "worker", "app")

	// A file that is not a plan, or was edited: refused, saying so.
	if err := os.WriteFile(file("bad.yaml"), []byte("apiVersion: kaji.dev/plan/v0\nkind: Plan\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, flags, file("bad.yaml"), `apiVersion "kaji.dev/plan/v0"`)
	kajiOK(t, flags, "plan", "--out", file("tampered.yaml"))
	raw, err := os.ReadFile(file("tampered.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file("tampered.yaml"), []byte(strings.Replace(string(raw), "revision: 3", "revision: 9", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	refused(t, flags, file("tampered.yaml"), "was changed after kaji plan wrote it")

	// Another cluster behind the same address (made again, or another local cluster) is
	// told apart by its kube-system namespace's uid, which the plan records.
	kajiOK(t, flags, "plan", "--out", file("cluster.yaml"))
	saved, err := savedplan.Read(file("cluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	system, err := env.Client.CoreV1().Namespaces().Get(t.Context(), "kube-system", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if saved.Cluster.ID != string(system.UID) {
		t.Errorf("the plan records cluster id %q, want the kube-system namespace's uid %s", saved.Cluster.ID, system.UID)
	}
	saved.Cluster.ID = "3c1f0a52-0000-4000-8000-000000000000"
	if err := savedplan.Write(file("cluster.yaml"), saved); err != nil {
		t.Fatal(err)
	}
	refused(t, flags, file("cluster.yaml"), "was made against another cluster at", "nothing was applied")
}

// subchartsChart writes a chart with eight subcharts, each a ConfigMap, and returns its path.
func subchartsChart(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "parent")
	files := map[string]string{"Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\n"}
	for _, n := range []string{"one", "two", "three", "four", "five", "six", "seven", "eight"} {
		files["charts/"+n+"/Chart.yaml"] = "apiVersion: v2\nname: " + n + "\nversion: 0.1.0\n"
		files["charts/"+n+"/templates/cm.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-" + n + "\n"
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Helm's loader lists a chart's subcharts in no fixed order (it reads charts/ into a map), so
// apply --plan may load them in another order than the plan did. A saved plan of such a chart
// must still apply: its fingerprint does not depend on that order.
func TestSavedPlanOfAChartWithSubcharts(t *testing.T) {
	flags, _, _ := planProject(t, "subs", `
releases:
  - name: subs
    namespace: NS1
    chart: `+subchartsChart(t)+`
`)
	dir := t.TempDir()
	// The loader's map lists eight subcharts in one of eight orders, about equally likely: four
	// plans applied as they were made by chance would be one in 4,096.
	for i := range 4 {
		file := filepath.Join(dir, fmt.Sprintf("plan-%d.yaml", i))
		kajiOK(t, flags, "plan", "--out", file)
		kajiOK(t, flags, "apply", "--plan", file)
	}
}
