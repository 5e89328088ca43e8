package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/testenv"
)

// helmOn runs the Helm CLI against one test cluster.
func helmOn(t *testing.T, e *testenv.Env, args ...string) {
	t.Helper()
	cmd := exec.Command(helmCLI(t), append(args, "--kubeconfig", e.KubeconfigPath, "--kube-context", e.ContextName)...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// Two clusters, test and prod, run the same release with other values, and one release each
// that the other lacks. Importing test, then prod into the same kaji.yaml, writes prod as
// overrides; each environment's plan then finds every release in sync, to adopt.
func TestImportASecondClusterAsAnEnvironment(t *testing.T) {
	prod, err := testenv.Start(t.Context(), testenv.WithContextName("prod"))
	if err != nil {
		t.Fatalf("start the prod control plane: %v", err)
	}
	t.Cleanup(func() { _ = prod.Stop() })

	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	ns := env.Namespace(t)
	settings, app := filepath.Join(charts, "settings"), filepath.Join(charts, "app")
	helmOn(t, env, "install", "settings", settings, "-n", ns, "--set", "logLevel=debug")
	helmOn(t, env, "install", "scratch", app, "-n", ns)
	helmOn(t, prod, "install", "settings", settings, "-n", ns, "--create-namespace", "--set", "logLevel=warn", "--set", "environment=prod")
	helmOn(t, prod, "install", "audit", app, "-n", ns, "--set", "greeting=audit")

	file := filepath.Join(t.TempDir(), "kaji.yaml")
	onTest := []string{"-f", file, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName, "--env", "test"}
	onProd := []string{"-f", file, "--kubeconfig", prod.KubeconfigPath, "--kube-context", prod.ContextName, "--env", "prod"}
	if r := kaji(t, "", false, append([]string{"import", "--project", ns, "-n", ns}, onTest...)...); r.code != 0 {
		t.Fatalf("import test: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r := kaji(t, "", false, append([]string{"import", "-n", ns}, onProd...)...)
	if r.code != 0 {
		t.Fatalf("import prod: exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{"settings  ", "overridden", "only-here", "absent"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("import prod output lacks %q:\n%s", want, r.out)
		}
	}
	doc, err := spec.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	o := doc.File.Environments["prod"].Releases
	if v := o["settings"].Values; len(v) != 2 || v["logLevel"] != "warn" || v["environment"] != "prod" {
		t.Errorf("prod override of settings: %v, want logLevel warn and environment prod only", v)
	}
	if e := o["scratch"].Enabled; e == nil || *e {
		t.Errorf("scratch is not disabled in prod: %+v", o["scratch"])
	}
	if e := o["audit"].Enabled; e == nil || !*e {
		t.Errorf("audit is not enabled in prod: %+v", o["audit"])
	}

	for _, c := range []struct {
		name  string
		flags []string
		want  []string
	}{
		{"test", onTest, []string{"settings", "scratch"}},
		{"prod", onProd, []string{"settings", "audit"}},
	} {
		args := append([]string{"plan", "-o", "json", "--lock-namespace", ns}, c.flags...)
		r := kaji(t, "", false, args...)
		if r.code != 0 {
			t.Fatalf("plan %s: exit %d\n%s%s", c.name, r.code, r.out, r.err)
		}
		for _, name := range c.want {
			if !strings.Contains(r.out, `"name": "`+name+`"`) {
				t.Errorf("plan %s lacks release %s:\n%s", c.name, name, r.out)
			}
		}
		if strings.Count(r.out, `"action": "adopt"`) != len(c.want) {
			t.Errorf("plan %s: want %d releases to adopt and nothing else:\n%s", c.name, len(c.want), r.out)
		}
	}
}
