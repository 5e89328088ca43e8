package apply_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// fixture writes kaji.yaml with the given body (after apiVersion and project) into a temp
// directory beside a copy-free reference to the quickstart charts.
func fixture(t *testing.T, body string) *spec.Resolved {
	t.Helper()
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	text := fmt.Sprintf("apiVersion: kaji.dev/v1alpha1\nproject: %s\n%s", "p-"+filepath.Base(dir), body)
	text = strings.ReplaceAll(text, "CHARTS", charts)
	path := filepath.Join(dir, "kaji.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := spec.Load(path)
	if err != nil {
		t.Fatalf("load fixture:\n%s\n%v", text, err)
	}
	res, err := doc.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

type recorder struct{ events []apply.Event }

func (r *recorder) observe(e apply.Event) { r.events = append(r.events, e) }

func (r *recorder) order(kind apply.EventKind) []string {
	var names []string
	for _, e := range r.events {
		if e.Kind == kind {
			names = append(names, e.Release)
		}
	}
	return names
}

func newRunner(t *testing.T, res *spec.Resolved) (*apply.Runner, *recorder) {
	t.Helper()
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	loader := chart.NewLoader(chart.Options{CacheDir: t.TempDir()})
	return &apply.Runner{
		Charts:   chartsOf{loader},
		Releases: release.NewManager(conn, release.Options{Project: res.Project}),
		Observe:  rec.observe,
	}, rec
}

type chartsOf struct{ l *chart.Loader }

func (c chartsOf) Chart(ctx context.Context, r spec.ResolvedRelease) (*chartv2.Chart, error) {
	l, err := c.l.Load(ctx, r.Chart, r.Version)
	if err != nil {
		return nil, err
	}
	return l.Chart, nil
}

// stored reads a release back through Helm's own storage API, as the Helm CLI would.
func stored(t *testing.T, namespace string) []*rspb.Release {
	t.Helper()
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		t.Fatal(err)
	}
	cfg := action.NewConfiguration()
	if err := cfg.Init(conn.Getter(namespace), namespace, "secret"); err != nil {
		t.Fatal(err)
	}
	list := action.NewList(cfg)
	list.All = true
	got, err := list.Run()
	if err != nil {
		t.Fatalf("helm list in %s: %v", namespace, err)
	}
	var out []*rspb.Release
	for _, r := range got {
		out = append(out, r.(*rspb.Release))
	}
	slices.SortFunc(out, func(a, b *rspb.Release) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func configMapValue(t *testing.T, namespace, name, key string) string {
	t.Helper()
	cm, err := env.Client.CoreV1().ConfigMaps(namespace).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get configmap %s/%s: %v", namespace, name, err)
	}
	return cm.Data[key]
}

func TestApplyUpgradeDestroy(t *testing.T) {
	platform, apps := env.Namespace(t), env.Namespace(t)
	// Declared in the reverse of their needs order, so file order cannot pass for needs order.
	body := `
releases:
  - name: web
    namespace: APPS
    chart: CHARTS/app
    needs: [api]
  - name: api
    namespace: APPS
    chart: CHARTS/app
    needs: [settings]
    values:
      greeting: hello from the api
  - name: settings
    namespace: PLATFORM
    chart: CHARTS/settings
    values:
      logLevel: debug
`
	body = strings.ReplaceAll(strings.ReplaceAll(body, "APPS", apps), "PLATFORM", platform)
	res := fixture(t, body)
	runner, rec := newRunner(t, res)

	sum, err := runner.Apply(t.Context(), res)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if got, want := rec.order(apply.Succeeded), []string{"settings", "api", "web"}; !slices.Equal(got, want) {
		t.Fatalf("apply order = %v, want %v", got, want)
	}
	for _, o := range sum.Outcomes {
		if o.Result.Action != release.Installed || o.Result.Revision != 1 {
			t.Errorf("%s: got %s revision %d, want installed revision 1", o.Release, o.Result.Action, o.Result.Revision)
		}
	}

	// The releases read back through Helm's storage: deployed, Helm's labels plus kaji's.
	rels := append(stored(t, apps), stored(t, platform)...)
	if len(rels) != 3 {
		t.Fatalf("helm storage has %d releases, want 3", len(rels))
	}
	for _, r := range rels {
		if r.Info.Status != common.StatusDeployed {
			t.Errorf("%s status %s, want deployed", r.Name, r.Info.Status)
		}
		if r.Labels[release.ProjectLabel] != res.Project {
			t.Errorf("%s labels %v, want %s=%s", r.Name, r.Labels, release.ProjectLabel, res.Project)
		}
	}
	secrets, err := env.Client.CoreV1().Secrets(apps).List(t.Context(), metav1.ListOptions{LabelSelector: "owner=helm,name=api"})
	if err != nil || len(secrets.Items) != 1 {
		t.Fatalf("helm storage secret for api: %v, %d items", err, len(secrets.Items))
	}
	if s := secrets.Items[0]; string(s.Type) != "helm.sh/release.v1" || s.Labels[release.ProjectLabel] != res.Project || s.Labels["status"] != "deployed" {
		t.Errorf("storage secret type %s labels %v: not what the Helm CLI writes plus kaji's label", s.Type, s.Labels)
	}
	if got := configMapValue(t, apps, "api", "GREETING"); got != "hello from the api" {
		t.Errorf("api GREETING = %q, want the inline value", got)
	}
	if cm, err := env.Client.CoreV1().ConfigMaps(apps).Get(t.Context(), "api", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	} else if len(cm.ManagedFields) == 0 || cm.ManagedFields[0].Manager != release.FieldManager || cm.ManagedFields[0].Operation != metav1.ManagedFieldsOperationApply {
		t.Errorf("managed fields %+v: want a server-side apply by %q, as the Helm CLI makes", cm.ManagedFields, release.FieldManager)
	}
	if got := configMapValue(t, platform, "platform-settings", "LOG_LEVEL"); got != "debug" {
		t.Errorf("LOG_LEVEL = %q, want debug", got)
	}

	// A changed value reaches the live object as revision 2.
	changed := fixture(t, strings.ReplaceAll(body, "hello from the api", "hello again"))
	changed.Project = res.Project
	if _, err := runner.Apply(t.Context(), changed); err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if got := configMapValue(t, apps, "api", "GREETING"); got != "hello again" {
		t.Errorf("after upgrade GREETING = %q, want %q", got, "hello again")
	}
	for _, r := range stored(t, apps) {
		if r.Name == "api" && r.Version != 2 {
			t.Errorf("api revision %d, want 2", r.Version)
		}
	}

	// Destroy goes in reverse order and leaves no release and no object.
	rec.events = nil
	if _, err := runner.Destroy(t.Context(), changed); err != nil {
		t.Fatalf("destroy: %v", err)
	}
	if got, want := rec.order(apply.Succeeded), []string{"web", "api", "settings"}; !slices.Equal(got, want) {
		t.Errorf("destroy order = %v, want %v", got, want)
	}
	if n := len(stored(t, apps)) + len(stored(t, platform)); n != 0 {
		t.Errorf("%d releases left after destroy", n)
	}
	if _, err := env.Client.CoreV1().ConfigMaps(apps).Get(t.Context(), "api", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("configmap api after destroy: err = %v, want not found", err)
	}

	// A second destroy finds nothing and says so.
	sum, err = runner.Destroy(t.Context(), changed)
	if err != nil {
		t.Fatalf("second destroy: %v", err)
	}
	for _, o := range sum.Outcomes {
		if o.Result.Action != release.Absent {
			t.Errorf("%s: %s, want absent", o.Release, o.Result.Action)
		}
	}
}

func TestFailedReleaseSkipsOnlyItsDependents(t *testing.T) {
	ns := env.Namespace(t)
	body := strings.ReplaceAll(`
releases:
  - name: base
    namespace: NS
    chart: CHARTS/app
    values:
      replicaCount: -1
  - name: dependent
    namespace: NS
    chart: CHARTS/settings
    needs: [base]
  - name: independent
    namespace: NS
    chart: CHARTS/app
`, "NS", ns)
	res := fixture(t, body)
	runner, rec := newRunner(t, res)
	sum, err := runner.Apply(t.Context(), res)
	var runErr *apply.RunError
	if !errors.As(err, &runErr) || runErr.Failed != 1 || runErr.Skipped != 1 {
		t.Fatalf("apply error = %v, want 1 failed and 1 skipped", err)
	}
	if got := rec.order(apply.Failed); !slices.Equal(got, []string{"base"}) {
		t.Errorf("failed = %v, want [base]", got)
	}
	if got := rec.order(apply.Skipped); !slices.Equal(got, []string{"dependent"}) {
		t.Errorf("skipped = %v, want [dependent]", got)
	}
	if got := rec.order(apply.Succeeded); !slices.Equal(got, []string{"independent"}) {
		t.Errorf("succeeded = %v, want [independent]", got)
	}
	for _, o := range sum.Outcomes {
		if o.Release == "dependent" && o.SkippedBecause != "needs base, which failed" {
			t.Errorf("skip reason %q", o.SkippedBecause)
		}
	}
}

func TestNothingIsAppliedWhenAValuesFileIsBroken(t *testing.T) {
	ns := env.Namespace(t)
	res := fixture(t, strings.ReplaceAll(`
releases:
  - name: first
    namespace: NS
    chart: CHARTS/settings
  - name: second
    namespace: NS
    chart: CHARTS/app
`, "NS", ns))
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	if err := os.WriteFile(broken, []byte("greeting: [unclosed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res.Releases[1].Values = append(res.Releases[1].Values, spec.ValuesLayer{File: broken})
	runner, rec := newRunner(t, res)
	if _, err := runner.Apply(t.Context(), res); err == nil {
		t.Fatal("apply with a broken values file succeeded")
	}
	if len(rec.events) != 0 || len(stored(t, ns)) != 0 {
		t.Errorf("apply touched the cluster before finding the broken values file: %v", rec.events)
	}
}
