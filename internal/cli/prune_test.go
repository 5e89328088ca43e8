package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/release"
)

func TestPruneUninstallsOnlyThisProjectsOrphans(t *testing.T) {
	ns := env.Namespace(t)
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "kaji.yaml")
	write := func(releases ...string) {
		body := "apiVersion: kaji.dev/v1alpha1\nproject: " + ns + "\nreleases:\n"
		for _, r := range releases {
			body += "  - {name: " + r + ", namespace: " + ns + ", chart: " + charts + "/app, values: {greeting: " + r + "}}\n"
		}
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flags := []string{"-f", file, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName, "--lock-namespace", ns}

	write("keep", "gone")
	if r := kaji(t, "", false, append([]string{"apply", "--yes"}, flags...)...); r.code != 0 {
		t.Fatalf("apply: %d\n%s%s", r.code, r.out, r.err)
	}
	// A release of another project, and one with no project, in the same namespace.
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []struct{ name, project string }{{"theirs", "another-project"}, {"manual", ""}} {
		ch, err := loader.Load(filepath.Join(charts, "app"))
		if err != nil {
			t.Fatal(err)
		}
		m := release.NewManager(conn, release.Options{Project: other.project})
		if _, err := m.Apply(t.Context(), release.Desired{Name: other.name, Namespace: ns, Chart: ch}); err != nil {
			t.Fatal(err)
		}
	}

	write("keep")
	r := kaji(t, "", false, append([]string{"plan"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.out, "orphan") || !strings.Contains(r.out, "1 orphaned (kept without --prune)") {
		t.Fatalf("plan after removing gone: %d\n%s%s", r.code, r.out, r.err)
	}
	r = kaji(t, "", false, append([]string{"apply", "--yes"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.out, "Nothing to do") {
		t.Fatalf("apply without --prune: %d\n%s%s", r.code, r.out, r.err)
	}
	r = kaji(t, "", false, append([]string{"plan", "--prune", "-o", "json"}, flags...)...)
	var doc struct {
		Summary struct{ Orphan, Uninstall int }
	}
	if err := json.Unmarshal([]byte(r.out), &doc); r.code != 0 || err != nil || doc.Summary.Orphan != 1 || doc.Summary.Uninstall != 1 {
		t.Fatalf("plan --prune -o json: exit %d, %v, summary %+v\n%s%s", r.code, err, doc.Summary, r.out, r.err)
	}
	r = kaji(t, "", false, append([]string{"apply", "--yes", "--prune"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.out, "1 to uninstall") || !strings.Contains(r.out, ns+"/gone") || !strings.Contains(r.out, "uninstalled") {
		t.Fatalf("apply --prune: %d\n%s%s", r.code, r.out, r.err)
	}
	m := release.NewManager(conn, release.Options{})
	for name, want := range map[string]bool{"keep": true, "gone": false, "theirs": true, "manual": true} {
		got, err := m.Get(t.Context(), name, ns)
		if err != nil {
			t.Fatal(err)
		}
		if (got != nil) != want {
			t.Errorf("%s present = %v after apply --prune, want %v", name, got != nil, want)
		}
	}
}
