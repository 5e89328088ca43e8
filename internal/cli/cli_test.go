package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

type run struct {
	code     int
	out, err string
}

func kaji(t *testing.T, stdin string, interactive bool, args ...string) run {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Streams{
		In: strings.NewReader(stdin), Out: &out, Err: &errOut, Interactive: interactive, Terminal: interactive,
	})
	return run{code: code, out: out.String(), err: errOut.String()}
}

// quickstart writes a copy of the quickstart kaji.yaml whose releases go to fresh namespaces.
func quickstart(t *testing.T) (path, platform, apps string) {
	t.Helper()
	platform, apps = env.Namespace(t), env.Namespace(t)
	src, err := filepath.Abs("../../examples/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(src, "kaji.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(
		"quickstart-platform", platform,
		"quickstart-apps", apps,
		"./charts/", src+"/charts/",
		"values-prod.yaml", src+"/values-prod.yaml",
		"project: quickstart", "project: "+apps,
	).Replace(string(body))
	path = filepath.Join(t.TempDir(), "kaji.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, platform, apps
}

func TestQuickstartApplyProdDestroy(t *testing.T) {
	path, platform, apps := quickstart(t)
	flags := []string{"-f", path, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName}

	r := kaji(t, "", false, append([]string{"apply", "--env", "test", "--yes"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("apply exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	for _, want := range []string{"installed settings-0.1.0, revision 1", "installed app-0.1.0, revision 1", "apply: 3 done, 0 failed, 0 skipped"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("apply output lacks %q:\n%s", want, r.out)
		}
	}

	// A second apply straight after the first changes nothing: no new revision anywhere.
	r = kaji(t, "", false, append([]string{"apply", "--env", "test"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.out, "Nothing to do: every release is in sync.") {
		t.Fatalf("second apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if secrets, err := env.Client.CoreV1().Secrets(apps).List(t.Context(), metav1.ListOptions{LabelSelector: "owner=helm"}); err != nil || len(secrets.Items) != 2 {
		t.Fatalf("release revisions in %s after a no-change apply: %v, %d; want 2 (api and web, revision 1)", apps, err, len(secrets.Items))
	}

	r = kaji(t, "", false, append([]string{"apply", "--env", "prod"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("apply --env prod exit %d\n%s%s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.out, "upgraded app-0.1.0, revision 2") {
		t.Errorf("prod apply did not upgrade to revision 2:\n%s", r.out)
	}
	dep, err := env.Client.AppsV1().Deployments(apps).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *dep.Spec.Replicas != 3 {
		t.Errorf("web replicas = %d, want 3 from values-prod.yaml", *dep.Spec.Replicas)
	}
	cm, err := env.Client.CoreV1().ConfigMaps(platform).Get(t.Context(), "platform-settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["ENVIRONMENT"] != "prod" || cm.Data["LOG_LEVEL"] != "warn" {
		t.Errorf("settings data = %v, want the prod overrides", cm.Data)
	}

	// Without a terminal, destroy refuses unless --yes is given.
	r = kaji(t, "", false, append([]string{"destroy"}, flags...)...)
	if r.code != cli.ExitError || !strings.Contains(r.err, "pass --yes") {
		t.Fatalf("destroy without a terminal: exit %d, stderr %q", r.code, r.err)
	}
	// On a terminal, "no" changes nothing.
	r = kaji(t, "n\n", true, append([]string{"destroy"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.out, "Nothing was changed") {
		t.Fatalf("destroy answered no: exit %d, %s%s", r.code, r.out, r.err)
	}
	if _, err := env.Client.AppsV1().Deployments(apps).Get(t.Context(), "web", metav1.GetOptions{}); err != nil {
		t.Fatalf("web is gone after answering no: %v", err)
	}
	// "yes" uninstalls in reverse order.
	r = kaji(t, "yes\n", true, append([]string{"destroy"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("destroy exit %d\n%s%s", r.code, r.out, r.err)
	}
	web, settings := strings.Index(r.out, "/web "), strings.Index(r.out, "/settings ")
	if web < 0 || settings < 0 || web > settings {
		t.Errorf("destroy did not uninstall web before settings:\n%s", r.out)
	}
	secrets, err := env.Client.CoreV1().Secrets(apps).List(t.Context(), metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil || len(secrets.Items) != 0 {
		t.Errorf("helm release secrets left after destroy: %v %d", err, len(secrets.Items))
	}
}

func TestUsageAndSpecErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "kaji.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: kaji.dev/v1alpha1\nproject: p\nrelases: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"unknown flag", []string{"apply", "--bogus"}, cli.ExitError, "unknown flag: --bogus"},
		{"stray argument", []string{"validate", "extra"}, cli.ExitError, "takes no arguments"},
		{"missing file", []string{"apply", "-f", filepath.Join(dir, "none.yaml")}, cli.ExitError, "none.yaml"},
		{"typo in kaji.yaml", []string{"apply", "-f", bad}, cli.ExitError, `kaji.yaml:3:1`},
		{"did you mean", []string{"destroy", "--yes", "-f", bad}, cli.ExitError, `"releases"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := kaji(t, "", false, c.args...)
			if r.code != c.code || !strings.Contains(r.err, c.contains) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", r.code, c.code, r.err, c.contains)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := kaji(t, "", false, "version")
	if r.code != 0 || !strings.HasPrefix(r.out, "kaji ") || !strings.Contains(r.out, "helm v4.") {
		t.Errorf("version: exit %d, %q", r.code, r.out)
	}
}
