package cli_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/kube"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/release"
)

// helmInstall installs a quickstart chart as release name in ns, as the Helm CLI would: with
// Helm's SDK, without kaji's label.
func helmInstall(t *testing.T, ns, chart, name string, values map[string]any) {
	t.Helper()
	ch, err := loader.Load(filepath.Join("..", "..", "examples", "quickstart", "charts", chart))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		t.Fatal(err)
	}
	cfg := action.NewConfiguration()
	if err := cfg.Init(conn.Getter(ns), ns, "secret"); err != nil {
		t.Fatal(err)
	}
	kube.ManagedFieldsManager = release.FieldManager // the helm CLI's field manager
	in := action.NewInstall(cfg)
	in.ReleaseName, in.Namespace, in.WaitStrategy, in.Timeout = name, ns, kube.HookOnlyStrategy, time.Minute
	if _, err := in.RunWithContext(t.Context(), ch, values); err != nil {
		t.Fatal(err)
	}
}

// labelOf returns the kaji.dev/project label of the latest revision of release name in ns.
func labelOf(t *testing.T, ns, name string) string {
	t.Helper()
	ri, err := helmStore(env, ns).Last(name)
	if err != nil {
		t.Fatal(err)
	}
	return ri.(*rspb.Release).Labels[release.ProjectLabel]
}

// kaji import writes adopt: true: the next plan shows the release in sync and to adopt, and
// apply labels it as the project's without a new revision.
func TestAdoptThroughTheCLI(t *testing.T) {
	p := newFlagsProject(t, `  - {name: settings, namespace: NS, chart: CHARTS/settings, adopt: true, values: {environment: prod}}
  - {name: other, namespace: NS, chart: CHARTS/app, values: {greeting: test}}
`)
	helmInstall(t, p.ns, "settings", "settings", map[string]any{"environment": "prod"})
	helmInstall(t, p.ns, "app", "other", map[string]any{"greeting": "test"})

	r := p.kaji(t, "", false, "plan", "--detailed-exitcode")
	if r.code != cli.ExitChanges || !strings.Contains(r.out, "1 to adopt (no new revision)") ||
		!regexp.MustCompile(`(?m)^settings +\S+ +settings 0\.1\.0 +unmanaged +made by helm, not by kaji \(no kaji\.dev/project label\); in sync with kaji\.yaml: apply labels revision 1 as project `+regexp.QuoteMeta(p.ns)+`'s, without a new revision$`).MatchString(r.out) ||
		!strings.Contains(r.out, "^ settings ("+p.ns+"): adopt revision 1, without a new revision") {
		t.Errorf("plan: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = p.kaji(t, "", false, "plan", "-o", "json")
	doc := checkPlanDocument(t, r.out)
	summary, _ := doc["summary"].(map[string]any)
	if summary["adopt"] != float64(1) || summary["changes"] != true {
		t.Errorf("plan -o json summary: %v", summary)
	}
	actions := map[string]any{}
	for _, rel := range doc["releases"].([]any) {
		m := rel.(map[string]any)
		actions[m["name"].(string)] = m["action"]
		if m["name"] == "settings" && m["revision"] != nil {
			t.Errorf("the adoption writes revision %v, want none", m["revision"])
		}
	}
	if actions["settings"] != "adopt" || actions["other"] != "blocked" {
		t.Errorf("plan -o json actions: %v, want settings adopt and other blocked", actions)
	}

	// other is not to adopt: apply adopts settings, and fails on other.
	r = p.kaji(t, "", false, "apply", "--yes")
	if r.code != cli.ExitError || !strings.Contains(r.out, "adopted settings-0.1.0, revision 1, without a new revision") ||
		!strings.Contains(r.out, "apply: 1 done (1 adopted without a new revision), 1 failed") {
		t.Errorf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := latest(t, helmStore(env, p.ns), "settings"); got != (revision{1, "deployed"}) || labelOf(t, p.ns, "settings") != p.ns {
		t.Errorf("settings after apply: %+v labeled %q, want revision 1 deployed labeled %q", got, labelOf(t, p.ns, "settings"), p.ns)
	}
	if labelOf(t, p.ns, "other") != "" {
		t.Error("apply labeled other, which is not to adopt")
	}
	if n := p.helmSecrets(t); n != 2 {
		t.Errorf("%d storage records after adopting, want 2: one revision of each release", n)
	}

	// With other gone from kaji.yaml, the plan is in sync, and destroy uninstalls settings.
	p.write(t, `  - {name: settings, namespace: NS, chart: CHARTS/settings, adopt: true, values: {environment: prod}}
`)
	if r := p.kaji(t, "", false, "plan", "--detailed-exitcode"); r.code != cli.ExitOK {
		t.Errorf("plan after adopting: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = p.kaji(t, "", false, "apply", "--yes", "-o", "json")
	if r.code != cli.ExitOK || r.out != "" {
		t.Errorf("apply after adopting: exit %d, want nothing to do\n%s%s", r.code, r.out, r.err)
	}
	if r := p.kaji(t, "", false, "destroy", "--yes"); r.code != cli.ExitOK || !strings.Contains(r.out, "uninstalled") {
		t.Errorf("destroy after adopting: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := latest(t, helmStore(env, p.ns), "settings"); got != (revision{}) {
		t.Errorf("settings after destroy: %+v", got)
	}
}

// apply -o json says adopted.
func TestAdoptEventJSON(t *testing.T) {
	p := newFlagsProject(t, `  - {name: settings, namespace: NS, chart: CHARTS/settings}
`)
	helmInstall(t, p.ns, "settings", "settings", nil)
	r := p.kaji(t, "", false, "apply", "--yes", "--adopt", "-o", "json")
	if r.code != cli.ExitOK {
		t.Fatalf("apply --adopt: exit %d\n%s%s", r.code, r.out, r.err)
	}
	events := jsonLines(t, r.out)
	if i := eventIndex(events, "settings", "succeeded"); i < 0 || events[i].Action != "adopted" || events[i].Revision != 1 {
		t.Errorf("apply --adopt -o json: want settings adopted at revision 1:\n%s", r.out)
	}
}

// enabled: false leaves a release out: apply neither installs nor upgrades it, an installed
// one is an orphan that --prune uninstalls, and destroy does not touch it.
func TestDisabledReleaseIsLeftOut(t *testing.T) {
	releases := func(environment string) string {
		return `  - {name: web, namespace: NS, chart: CHARTS/app}
  - {name: extra, namespace: NS, chart: CHARTS/settings, values: {environment: ` + environment + `}}
environments:
  test:
    releases:
      extra:
        enabled: false
`
	}
	p := newFlagsProject(t, releases("one"))
	store := helmStore(env, p.ns)

	if r := p.kaji(t, "", false, "apply", "--yes", "--env", "test"); r.code != cli.ExitOK || strings.Contains(r.out, "extra") {
		t.Fatalf("apply --env test: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := latest(t, store, "extra"); got != (revision{}) {
		t.Fatalf("extra after apply --env test: %+v, want not installed", got)
	}
	if r := p.kaji(t, "", false, "apply", "--yes"); r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := latest(t, store, "extra"); got != (revision{1, "deployed"}) {
		t.Fatalf("extra after apply: %+v, want revision 1", got)
	}

	// Changed, but left out of test: an orphan there, not upgraded.
	p.write(t, releases("two"))
	r := p.kaji(t, "", false, "plan", "--env", "test", "--detailed-exitcode")
	if r.code != cli.ExitOK || !regexp.MustCompile(`(?m)^extra +\S+ +settings 0\.1\.0 +orphan +in kaji\.yaml but disabled in environment "test" \(environments\.test\.releases\.extra\.enabled at \S+kaji\.yaml:\d+:\d+\) \(revision 1, deployed\); apply leaves it$`).MatchString(r.out) {
		t.Errorf("plan --env test: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := p.kaji(t, "", false, "apply", "--yes", "--env", "test"); r.code != cli.ExitOK {
		t.Fatalf("apply --env test: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := latest(t, store, "extra"); got != (revision{1, "deployed"}) {
		t.Errorf("extra after a changed apply --env test: %+v, want revision 1, not upgraded", got)
	}
	if r := p.kaji(t, "", false, "plan", "--env", "test", "--release", "extra"); r.code != cli.ExitError ||
		!strings.Contains(r.err, `release "extra" is disabled in environment "test"`) {
		t.Errorf("plan --env test --release extra: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := p.kaji(t, "", false, "destroy", "--yes", "--env", "test"); r.code != cli.ExitOK {
		t.Fatalf("destroy --env test: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if web, extra := latest(t, store, "web"), latest(t, store, "extra"); web != (revision{}) || extra != (revision{1, "deployed"}) {
		t.Errorf("after destroy --env test: web %+v, extra %+v; want web gone and extra left", web, extra)
	}
	if r := p.kaji(t, "", false, "apply", "--yes", "--env", "test", "--prune"); r.code != cli.ExitOK || !strings.Contains(r.out, "extra") {
		t.Fatalf("apply --env test --prune: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := latest(t, store, "extra"); got != (revision{}) {
		t.Errorf("extra after --prune: %+v, want uninstalled", got)
	}
}

// A release's rollbackOnFailure rolls its failed install back without the flag, and false
// keeps a failed install that the flag would roll back. The Deployment never becomes ready:
// the test cluster runs no pods.
func TestRollbackOnFailurePerRelease(t *testing.T) {
	p := newFlagsProject(t, `  - {name: web, namespace: NS, chart: CHARTS/app, timeout: 3s, rollbackOnFailure: true}
`)
	r := p.kaji(t, "", false, "apply", "--yes")
	if r.code != cli.ExitError || !strings.Contains(r.out+r.err, "uninstall") {
		t.Fatalf("apply with rollbackOnFailure: true: exit %d, want %d saying the install was uninstalled\n%s%s", r.code, cli.ExitError, r.out, r.err)
	}
	if n := p.helmSecrets(t); n != 0 {
		t.Errorf("%d storage records after the rolled-back install, want none", n)
	}
	if _, err := env.Client.AppsV1().Deployments(p.ns).Get(t.Context(), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Deployment web after the rollback: %v, want not found", err)
	}

	p.write(t, `  - {name: web, namespace: NS, chart: CHARTS/app, timeout: 3s, wait: true, rollbackOnFailure: false}
`)
	r = p.kaji(t, "", false, "apply", "--yes", "--rollback-on-failure")
	if r.code != cli.ExitError {
		t.Fatalf("apply --rollback-on-failure with rollbackOnFailure: false: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := latest(t, helmStore(env, p.ns), "web"); got != (revision{1, "failed"}) {
		t.Errorf("web after a failed install that is not rolled back: %+v, want revision 1 failed", got)
	}
}
