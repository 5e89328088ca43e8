package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/plan/view"
)

// The -update flag that rewrites golden files is declared once for the package, in
// validate_test.go.

// planProject writes a kaji.yaml with the releases of body, whose NS1 and NS2 stand for two
// fresh namespaces, and returns the flags that point kaji at it and the test cluster. The
// project is prefix, a dash and five random characters (so that runs do not see each other's
// releases as orphans), and the namespaces are the project's name with -a and -b.
func planProject(t *testing.T, prefix, body string) (flags []string, ns1, ns2 string) {
	t.Helper()
	env.Require(t)
	project := prefix + "-" + strings.ToLower(rand.Text()[:5])
	ns1, ns2 = namespaceNamed(t, project+"-a"), namespaceNamed(t, project+"-b")
	charts, err := filepath.Abs("testdata/plan/charts")
	if err != nil {
		t.Fatal(err)
	}
	text := "apiVersion: kaji.dev/v1alpha1\nproject: " + project + "\n" +
		strings.NewReplacer("NS1", ns1, "NS2", ns2, "CHARTS", charts).Replace(body)
	path := filepath.Join(t.TempDir(), "kaji.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"-f", path, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName}, ns1, ns2
}

// namespaceNamed creates the namespace name, and deletes it when t ends.
func namespaceNamed(t *testing.T, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := env.Client.CoreV1().Namespaces().Create(t.Context(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.Client.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// rewrite replaces the releases of the kaji.yaml that flags point at.
func planRewrite(t *testing.T, flags []string, from, to string) {
	t.Helper()
	raw, err := os.ReadFile(flags[1])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(from)) {
		t.Fatalf("kaji.yaml has no %q", from)
	}
	if err := os.WriteFile(flags[1], bytes.Replace(raw, []byte(from), []byte(to), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

var (
	planAges     = regexp.MustCompile(`\b\d+[smhd]( ago)?$`)
	planProjects = regexp.MustCompile(`\b(golden-[a-z]+)-[a-z0-9]{5}\b`)
)

// planNormalize makes output stable: ages become AGE, and the random part of project and
// namespace names 00000, which keeps the columns where they are.
func planNormalize(out string) string {
	out = planProjects.ReplaceAllString(out, "$1-00000")
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = planAges.ReplaceAllString(l, "AGE")
	}
	return strings.Join(lines, "\n")
}

func planGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "plan", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update if the change is right):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

const goldenReleases = `
releases:
  - name: app
    namespace: NS1
    chart: CHARTS/app
    values:
      greeting: hello
  - name: creds
    namespace: NS1
    chart: CHARTS/creds
    values:
      password: first-password
  - name: worker
    namespace: NS2
    chart: CHARTS/app
    needs: [app]
`

func TestPlanGolden(t *testing.T) {
	flags, _, ns2 := planProject(t, "golden-plan", goldenReleases)
	plan := func(args ...string) run {
		t.Helper()
		return kaji(t, "", false, append(append([]string{"plan"}, args...), flags...)...)
	}

	// Nothing installed: three installs, each object as the API server would default it.
	r := plan("--detailed-exitcode")
	if r.code != cli.ExitChanges {
		t.Fatalf("plan before install: exit %d, want %d\n%s%s", r.code, cli.ExitChanges, r.out, r.err)
	}
	planGolden(t, "install", planNormalize(r.out))
	if strings.Contains(r.out, "first-password") {
		t.Error("plan shows a secret value without --show-secrets")
	}

	if r := kaji(t, "", false, append([]string{"apply", "--yes"}, flags...)...); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = plan("--detailed-exitcode")
	if r.code != 0 {
		t.Fatalf("plan after apply: exit %d, want 0\n%s%s", r.code, r.out, r.err)
	}
	planGolden(t, "in-sync", planNormalize(r.out))

	// A changed value, a changed secret, and a scaled deployment.
	planRewrite(t, flags, "greeting: hello", "greeting: hello again")
	planRewrite(t, flags, "password: first-password", "password: second-password")
	scale := []byte(`{"spec":{"replicas":4}}`)
	if _, err := env.Client.AppsV1().Deployments(ns2).Patch(t.Context(), "worker", types.MergePatchType, scale,
		metav1.PatchOptions{FieldManager: "kubectl"}, "scale"); err != nil {
		t.Fatal(err)
	}
	r = plan()
	if r.code != 0 {
		t.Fatalf("plan of changes: exit %d\n%s%s", r.code, r.out, r.err)
	}
	planGolden(t, "changes", planNormalize(r.out))
	if strings.Contains(r.out, "first-password") || strings.Contains(r.out, "second-password") {
		t.Error("plan shows a secret value without --show-secrets")
	}
	r = plan("--show-secrets", "--release", "creds")
	if !strings.Contains(r.out, "-   password: first-password") || !strings.Contains(r.out, "+   password: second-password") ||
		strings.Contains(r.out, "worker") {
		t.Errorf("plan --show-secrets --release creds:\n%s%s", r.out, r.err)
	}

	// kaji status: one row per release.
	r = kaji(t, "", false, append([]string{"status"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("status: exit %d\n%s%s", r.code, r.out, r.err)
	}
	planGolden(t, "status", planNormalize(r.out))
}

func TestPlanJSONSchema(t *testing.T) {
	flags, _, _ := planProject(t, "golden-json", goldenReleases)
	if r := kaji(t, "", false, append([]string{"apply", "--yes"}, flags...)...); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	planRewrite(t, flags, "password: first-password", "password: second-password")
	r := kaji(t, "", false, append([]string{"plan", "-o", "json"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("plan -o json: exit %d\n%s%s", r.code, r.out, r.err)
	}

	doc := checkPlanDocument(t, r.out)
	summary, _ := doc["summary"].(map[string]any)
	if doc["apiVersion"] != view.PlanAPIVersion || !strings.HasPrefix(fmt.Sprint(doc["project"]), "golden-json-") || doc["time"] == "" ||
		summary["changes"] != true || summary["upgrade"] != 1.0 || summary["inSync"] != 2.0 {
		t.Errorf("document: %v", doc)
	}
	var creds map[string]any
	releases, _ := doc["releases"].([]any)
	for _, r := range releases {
		if rel, _ := r.(map[string]any); rel["name"] == "creds" {
			creds = rel
		}
	}
	changes, _ := creds["changes"].([]any)
	if len(releases) != 3 || creds["state"] != "upgrade" || creds["action"] != "upgrade" || creds["revision"] != 2.0 || len(changes) != 1 {
		t.Fatalf("creds: %v", creds)
	}
	c, _ := changes[0].(map[string]any)
	diff, _ := c["diff"].([]any)
	if c["apiVersion"] != "v1" || c["kind"] != "Secret" || c["action"] != "update" || len(diff) != 1 {
		t.Fatalf("secret change: %v", c)
	}
	if f, _ := diff[0].(map[string]any); f["path"] != "data.password" || f["old"] != nil || f["new"] != nil || f["redacted"] != "changed (14 bytes → 15 bytes)" {
		t.Errorf("secret diff: %v", f)
	}
	if strings.Contains(r.out, "first-password") || strings.Contains(r.out, "Zmlyc3Q") {
		t.Error("plan -o json shows a secret value")
	}

	r = kaji(t, "", false, append([]string{"status", "-o", "json"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("status -o json: exit %d\n%s%s", r.code, r.out, r.err)
	}
	st := checkStatusDocument(t, r.out)
	stReleases, _ := st["releases"].([]any)
	if len(stReleases) != 3 {
		t.Fatalf("status document: %v", st)
	}
	if c, _ := stReleases[1].(map[string]any); c["name"] != "creds" || c["state"] != "upgrade" || c["revision"] != 1.0 ||
		c["deployedVersion"] != "0.3.0" || c["lastDeployed"] == nil {
		t.Errorf("status of creds: %v", c)
	}
}

func TestPlanUsageErrors(t *testing.T) {
	flags, _, _ := planProject(t, "golden-usage", goldenReleases)
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"unknown release", []string{"plan", "--release", "wroker"}, cli.ExitError, `kaji.yaml declares no release "wroker" (did you mean "worker"?)`},
		{"unknown output", []string{"plan", "-o", "yaml"}, cli.ExitError, `unknown output format "yaml"`},
		{"status output", []string{"status", "-o", "table"}, cli.ExitError, `unknown output format "table"`},
		// 2 means "changes" with --detailed-exitcode; a mistake in the call must not read as that.
		{"detailed exit code, unknown release", []string{"plan", "--detailed-exitcode", "--release", "wroker"}, cli.ExitError, `no release "wroker"`},
		{"detailed exit code, unknown flag", []string{"plan", "--detailed-exitcode", "--bogus"}, cli.ExitError, "unknown flag: --bogus"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := kaji(t, "", false, append(c.args, flags...)...)
			if r.code != c.code || !strings.Contains(r.err, c.contains) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", r.code, c.code, r.err, c.contains)
			}
		})
	}
}

func TestPlanErrorsExitOne(t *testing.T) {
	flags, _, _ := planProject(t, "golden-errors", `
releases:
  - name: app
    namespace: NS1
    chart: CHARTS/app
    values:
      replicas: -2
`)
	r := kaji(t, "", false, append([]string{"plan", "--detailed-exitcode"}, flags...)...)
	if r.code != cli.ExitError || !strings.Contains(r.err, "spec.replicas") || !strings.Contains(r.out, "! Deployment.apps app") {
		t.Errorf("plan of an invalid object: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
}
