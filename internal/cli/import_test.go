package cli_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	rspb "helm.sh/helm/v4/pkg/release/v1"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/render/corpus"
)

// helmCLI is the Helm CLI that make helm builds: the tests install releases with it, as a
// team did before kaji.
func helmCLI(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../.cache/bin/helm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the Helm CLI is missing (%v): make helm builds it, and make test runs it first", err)
	}
	return p
}

func helm(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(helmCLI(t), append(args, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName)...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// chartRepository serves an https-style chart repository (plain HTTP here) holding the named
// corpus charts, packaged and indexed by the Helm CLI.
func chartRepository(t *testing.T, root string, charts ...string) string {
	t.Helper()
	dir := t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	for _, c := range charts {
		helm(t, "package", filepath.Join(root, c), "-d", dir)
	}
	helm(t, "repo", "index", dir, "--url", srv.URL)
	return srv.URL
}

// The acceptance test of kaji import: releases a team made with the Helm CLI, with ci values
// and --set flags, are imported; the next plan finds every one in sync and to adopt; apply
// labels them as the project's without a new revision; plan is then clean, and importing
// again changes nothing.
func TestImportHelmReleasesThenAdoptWithoutANewRevision(t *testing.T) {
	root, err := corpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	ns := env.Namespace(t)
	repo := chartRepository(t, root, "kube-state-metrics", "redis")
	helm(t, "install", "ksm", filepath.Join(root, "kube-state-metrics"), "-n", ns, "-f", filepath.Join(root, "kube-state-metrics/ci/01-default-values.yaml"), "--set", "replicas=2")
	helm(t, "install", "grafana", filepath.Join(root, "grafana"), "-n", ns, "-f", filepath.Join(root, "grafana/ci/with-affinity-values.yaml"), "--set", "adminPassword=s3cret-admin", "--set", "image.tag=12.3.1")
	helm(t, "install", "cache", filepath.Join(root, "redis"), "-n", ns, "--set", "auth.password=s3cret-redis", "--set", "replica.replicaCount=1")
	helm(t, "install", "nodes", filepath.Join(root, "prometheus-node-exporter"), "-n", ns, "-f", filepath.Join(root, "prometheus-node-exporter/ci/default-values.yaml"))

	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	cluster := []string{"-f", file, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName}
	r := kaji(t, "", false, append([]string{"import", "--project", ns, "-n", ns, "--repo", "corpus=" + repo}, cluster...)...)
	if r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.out, r.err)
	}
	t.Logf("import:\n%s", r.out)
	kajiYAML, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"chart: corpus/kube-state-metrics", "chart: ./charts/grafana-10.5.15", "chart: corpus/redis", "adopt: true"} {
		if !strings.Contains(string(kajiYAML), want) {
			t.Errorf("kaji.yaml lacks %q:\n%s", want, kajiYAML)
		}
	}
	for _, secret := range []string{"s3cret-admin", "s3cret-redis"} {
		if b, _ := os.ReadFile(filepath.Join(dir, "values/grafana.yaml")); strings.Contains(string(b)+string(kajiYAML), secret) {
			t.Errorf("%s is written outside the git-ignored secret files", secret)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "values/cache.secret.yaml")); err != nil || !strings.Contains(string(b), "s3cret-redis") {
		t.Errorf("values/cache.secret.yaml: %v\n%s", err, b)
	}

	flags := append(cluster, "--lock-namespace", ns)
	r = kaji(t, "", false, append([]string{"plan", "-o", "json"}, flags...)...)
	var planned struct {
		Releases []struct {
			Name   string `json:"name"`
			State  string `json:"state"`
			Action string `json:"action"`
			Reason string `json:"reason"`
		} `json:"releases"`
	}
	if err := json.Unmarshal([]byte(r.out), &planned); err != nil || r.code != 0 || len(planned.Releases) != 4 {
		t.Fatalf("plan after import: exit %d, %v\n%s%s", r.code, err, r.out, r.err)
	}
	for _, p := range planned.Releases {
		if p.Action != "adopt" {
			t.Errorf("plan after import: %s is %s/%s (%s), want adopt without changes", p.Name, p.State, p.Action, p.Reason)
		}
	}

	before := revisions(t, env, ns)
	if r = kaji(t, "", false, append([]string{"apply", "--yes"}, flags...)...); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	store := helmStore(env, ns)
	for _, name := range []string{"ksm", "grafana", "cache", "nodes"} {
		if got := latest(t, store, name); got != (revision{1, "deployed"}) {
			t.Errorf("%s after apply: %+v, want revision 1 deployed (adopted without a new revision)", name, got)
		}
		ri, err := store.Last(name)
		if err != nil {
			t.Fatal(err)
		}
		if owner := ri.(*rspb.Release).Labels[release.ProjectLabel]; owner != ns {
			t.Errorf("%s is labelled %q after apply, want %q", name, owner, ns)
		}
	}
	if after := revisions(t, env, ns); after != before {
		t.Errorf("%d stored revisions after apply, %d before: adoption made revisions", after, before)
	}
	if r = kaji(t, "", false, append([]string{"plan", "--detailed-exitcode"}, flags...)...); r.code != 0 {
		t.Errorf("plan after adoption: exit %d, want 0 (in sync)\n%s%s", r.code, r.out, r.err)
	}

	snap := dirFiles(t, dir)
	r = kaji(t, "", false, append([]string{"import", "-n", ns, "--repo", "corpus=" + repo, "-o", "json"}, cluster...)...)
	if r.code != 0 {
		t.Fatalf("second import: exit %d\n%s%s", r.code, r.out, r.err)
	}
	var again struct {
		Releases []struct {
			Name    string `json:"name"`
			Outcome string `json:"outcome"`
		} `json:"releases"`
	}
	if err := json.Unmarshal([]byte(r.out), &again); err != nil || len(again.Releases) != 4 {
		t.Fatalf("second import -o json: %v\n%s", err, r.out)
	}
	for _, rel := range again.Releases {
		if rel.Outcome != "unchanged" {
			t.Errorf("second import: %s is %s, want unchanged", rel.Name, rel.Outcome)
		}
	}
	if now := dirFiles(t, dir); len(now) != len(snap) {
		t.Errorf("the second import changed the files: %d before, %d after", len(snap), len(now))
	} else {
		for k, v := range snap {
			if now[k] != v {
				t.Errorf("the second import changed %s", k)
			}
		}
	}
}

func dirFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
