package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/release"
)

func TestPendingUpgradeIsBlocked(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	res := h.resolve(webRelease, "NS", ns, "GREETING", "hello")
	h.apply(res)

	// An interrupted upgrade leaves a pending-upgrade record behind: write one the way Helm does.
	secrets := driver.NewSecrets(env.Client.CoreV1().Secrets(ns))
	stored, err := secrets.Get("sh.helm.release.v1.web.v1")
	if err != nil {
		t.Fatal(err)
	}
	pending := *stored.(*rspb.Release)
	info := *pending.Info
	info.Status, info.Description = common.StatusPendingUpgrade, "Preparing upgrade"
	info.LastDeployed = time.Now().Add(-10 * time.Minute)
	pending.Info, pending.Version = &info, 2
	if err := secrets.Create("sh.helm.release.v1.web.v2", &pending); err != nil {
		t.Fatal(err)
	}

	p := h.plan(res, plan.Options{})
	r := releaseNamed(t, p, "web")
	wantState(t, r, plan.StatePending, plan.ActionBlocked)
	if r.Current == nil || r.Current.Number != 2 || r.Current.Status != "pending-upgrade" || time.Since(r.Current.Updated) < 9*time.Minute {
		t.Errorf("pending release current revision %+v, want revision 2 pending-upgrade for 10m", r.Current)
	}
	if !strings.Contains(r.Reason, "kaji unlock web") || r.Blocked() == nil || !p.HasChanges() {
		t.Errorf("pending reason %q, blocked %v", r.Reason, r.Blocked())
	}

	// While a kaji run holds the project lock, the plan says who.
	held, err := lock.Acquire(t.Context(), env.Client.CoordinationV1(), lock.Options{
		Namespace: ns, Project: h.project, Me: lock.Holder{Who: "ci@runner", PID: 7, Version: "test", Command: "apply"}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = held.Release(context.Background()) }()
	pl := h.planner()
	pl.Locks = leases{ns}
	p, err = pl.Plan(t.Context(), res, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r = releaseNamed(t, p, "web")
	if p.Lock == nil || p.Lock.Who != "ci@runner" || !strings.Contains(r.Reason, "the project lock is held by ci@runner (pid 7") {
		t.Errorf("lock %+v, reason %q", p.Lock, r.Reason)
	}
}

// leases reads the project lock in a namespace.
type leases struct{ namespace string }

func (l leases) Holder(ctx context.Context, project string) (*lock.Holder, error) {
	return lock.Inspect(ctx, env.Client.CoordinationV1(), lock.Options{Namespace: l.namespace, Project: project})
}

func TestFailedInstall(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	body := `
releases:
  - name: web
    namespace: NS
    chart: CHARTS/web
    values:
      replicas: REPLICAS
`
	broken := h.resolve(body, "NS", ns, "REPLICAS", "-1")
	if _, err := h.runner().Apply(t.Context(), broken); err == nil {
		t.Fatal("an install with negative replicas succeeded")
	}
	r := releaseNamed(t, h.plan(broken, plan.Options{}), "web")
	wantState(t, r, plan.StateFailed, plan.ActionUpgrade)
	if !strings.Contains(r.Reason, "revision 1 is failed") || r.Revision != 2 {
		t.Errorf("failed: reason %q, revision %d", r.Reason, r.Revision)
	}
	// The dry run of the upgrade meets the same error as the install did.
	if c := change(t, r, "Deployment", "web"); c.Err == nil || !strings.Contains(c.Err.Error(), "spec.replicas") {
		t.Errorf("deployment with negative replicas: %s, err %v", c.Action, c.Err)
	}
	if r.Current == nil || r.Current.Number != 1 || r.Current.Status != "failed" || r.Deployed != nil {
		t.Errorf("failed install: current %+v, deployed %+v; want revision 1 failed and none deployed", r.Current, r.Deployed)
	}
	fixed := h.resolve(body, "NS", ns, "REPLICAS", "2")
	if err := releaseNamed(t, h.plan(fixed, plan.Options{}), "web").Err; err != nil {
		t.Errorf("fixed values: %v", err)
	}
	// A failed upgrade after a good one: the deployed revision is still the one that runs.
	h.apply(fixed)
	if _, err := h.runner().Apply(t.Context(), broken); err == nil {
		t.Fatal("an upgrade to negative replicas succeeded")
	}
	r = releaseNamed(t, h.plan(broken, plan.Options{}), "web")
	if r.Current == nil || r.Current.Number != 3 || r.Current.Status != "failed" || r.Deployed == nil || r.Deployed.Number != 2 {
		t.Errorf("failed upgrade: current %+v, deployed %+v; want revision 3 failed and revision 2 deployed", r.Current, r.Deployed)
	}
}

// helmConfig is the configuration of Helm's actions in ns, as the helm CLI makes it (its field
// manager included).
func helmConfig(t *testing.T, h *harness, ns string) *action.Configuration {
	t.Helper()
	cfg := action.NewConfiguration()
	if err := cfg.Init(h.conn.Getter(ns), ns, "secret"); err != nil {
		t.Fatal(err)
	}
	kube.ManagedFieldsManager = release.FieldManager // the helm CLI's field manager
	return cfg
}

// helmInstall installs the web chart as `helm install` would, without kaji's label; with
// options applied to Helm's install action.
func helmInstall(t *testing.T, h *harness, ns string, labels map[string]string, opts ...func(*action.Install)) {
	t.Helper()
	res := h.resolve(webRelease, "NS", ns, "GREETING", "from helm")
	ch, err := h.charts.Chart(t.Context(), res.Releases[0])
	if err != nil {
		t.Fatal(err)
	}
	in := action.NewInstall(helmConfig(t, h, ns))
	in.ReleaseName, in.Namespace, in.Labels = "web", ns, labels
	in.WaitStrategy = kube.HookOnlyStrategy
	in.Timeout = time.Minute
	for _, o := range opts {
		o(in)
	}
	if _, err := in.RunWithContext(t.Context(), ch, map[string]any{"greeting": "from helm"}); err != nil {
		t.Fatal(err)
	}
}

func TestUnmanagedReleaseIsAdoptedOnlyWhenAsked(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	helmInstall(t, h, ns, nil)

	res := h.resolve(webRelease, "NS", ns, "GREETING", "from helm")
	r := releaseNamed(t, h.plan(res, plan.Options{}), "web")
	wantState(t, r, plan.StateUnmanaged, plan.ActionBlocked)
	if !strings.Contains(r.Reason, "no kaji.dev/project label") || !strings.Contains(r.Reason, "unless --adopt") || r.Revision != 0 {
		t.Errorf("unmanaged: reason %q, revision %d", r.Reason, r.Revision)
	}
	if len(r.Changes) == 0 {
		t.Error("a release left alone shows no changes: it should show what adopting it would do")
	}

	// In sync with kaji.yaml, it is adopted without a new revision.
	r = releaseNamed(t, h.plan(res, plan.Options{Adopt: true}), "web")
	wantState(t, r, plan.StateUnmanaged, plan.ActionAdopt)
	if r.Revision != 0 || r.Hooks != nil {
		t.Errorf("adopting a release in sync writes revision %d with hooks %v, want none", r.Revision, r.Hooks)
	}
	for _, c := range r.Changes {
		if c.Action != plan.ChangeUnchanged {
			t.Errorf("adopting a release with the same values changes %s: %s %+v", c.Object, c.Action, c.Diff)
		}
	}

	// Once applied, it is kaji's, at the same revision.
	if _, err := h.transact(res, plan.Options{Adopt: true}); err != nil {
		t.Fatalf("apply --adopt: %v", err)
	}
	if last := lastRevision(t, h, ns, "web"); last.Version != 1 || last.Labels[release.ProjectLabel] != h.project {
		t.Errorf("after apply --adopt: revision %d labeled %v, want revision 1 labeled as project %s's", last.Version, last.Labels, h.project)
	}
	wantState(t, releaseNamed(t, h.plan(res, plan.Options{}), "web"), plan.StateInSync, plan.ActionNone)
}

// A release written client-side (as Helm 3, or `helm install --server-side=false`, does) is
// upgraded server-side, as the plan's dry run assumes, and is in sync afterwards.
func TestClientSideReleaseIsAdoptedServerSide(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	helmInstall(t, h, ns, nil, func(in *action.Install) { in.ServerSideApply = false })
	if last := lastRevision(t, h, ns, "web"); last.ApplyMethod != string(rspb.ApplyMethodClientSideApply) {
		t.Fatalf("the Helm install applied %q, want client-side", last.ApplyMethod)
	}
	res := h.resolve(webRelease, "NS", ns, "GREETING", "from kaji")
	wantState(t, releaseNamed(t, h.plan(res, plan.Options{Adopt: true}), "web"), plan.StateUnmanaged, plan.ActionUpgrade)
	h.apply(res)
	if last := lastRevision(t, h, ns, "web"); last.Version != 2 || last.ApplyMethod != string(rspb.ApplyMethodServerSideApply) {
		t.Errorf("kaji's upgrade wrote revision %d with apply method %q, want 2 and server-side", last.Version, last.ApplyMethod)
	}
	wantState(t, releaseNamed(t, h.plan(res, plan.Options{}), "web"), plan.StateInSync, plan.ActionNone)
}

func lastRevision(t *testing.T, h *harness, ns, name string) *rspb.Release {
	t.Helper()
	cfg := action.NewConfiguration()
	if err := cfg.Init(h.conn.Getter(ns), ns, "secret"); err != nil {
		t.Fatal(err)
	}
	rel, err := cfg.Releases.Last(name)
	if err != nil {
		t.Fatal(err)
	}
	r, ok := rel.(*rspb.Release)
	if !ok {
		t.Fatalf("release %s is a %T", name, rel)
	}
	return r
}

func TestReleaseOfAnotherProjectIsLeftAlone(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	helmInstall(t, h, ns, map[string]string{release.ProjectLabel: "other"})
	res := h.resolve(webRelease, "NS", ns, "GREETING", "changed")
	r := releaseNamed(t, h.plan(res, plan.Options{}), "web")
	wantState(t, r, plan.StateUnmanaged, plan.ActionBlocked)
	if !strings.Contains(r.Reason, `owned by kaji project "other"`) || !strings.Contains(r.Reason, "--adopt") || !strings.Contains(r.Reason, "values changed") {
		t.Errorf("reason %q", r.Reason)
	}
	if p := h.plan(res, plan.Options{}); !p.HasChanges() {
		t.Error("a plan with a release apply refuses has no changes: --detailed-exitcode would say in sync")
	}
	wantState(t, releaseNamed(t, h.plan(res, plan.Options{Adopt: true}), "web"), plan.StateUnmanaged, plan.ActionUpgrade)

	// Its uninstall is refused too: destroy and prune never touch another project's release.
	_, err := h.runner().Releases.Uninstall(t.Context(), "web", ns, time.Minute)
	var notOwned *release.NotOwnedError
	if !errors.As(err, &notOwned) || notOwned.Owner != "other" {
		t.Fatalf("uninstall of another project's release: %v, want a NotOwnedError naming project other", err)
	}
	if lastRevision(t, h, ns, "web").Info.Status != common.StatusDeployed {
		t.Error("the refused uninstall changed the release")
	}
}

// webAndOld declares web and old: old becomes an orphan once kaji.yaml declares web alone.
const webAndOld = `
releases:
  - name: web
    namespace: NS
    chart: CHARTS/web
  - name: old
    namespace: NS
    chart: CHARTS/web
`

// A release of this project that another project took over since is no orphan of this one:
// only its older revisions carry this project's label. Prune must never uninstall it.
func TestReleaseTakenOverByAnotherProjectIsNoOrphan(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	h.apply(h.resolve(webAndOld, "NS", ns))
	other := release.NewManager(h.conn, release.Options{Project: "other", Timeout: time.Minute})
	ch, err := h.charts.Chart(t.Context(), h.resolve(webAndOld, "NS", ns).Releases[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Apply(t.Context(), release.Desired{Name: "old", Namespace: ns, Chart: ch, Values: map[string]any{"greeting": "theirs"}}); err != nil {
		t.Fatal(err)
	}
	p := h.plan(h.resolve(webRelease, "NS", ns, "GREETING", "hello"), plan.Options{Prune: true})
	for _, r := range p.Releases {
		if r.Name == "old" {
			t.Fatalf("another project's release is planned as this project's orphan: %+v", r)
		}
	}
	if len(p.Pruned()) != 0 {
		t.Errorf("prune would uninstall %+v", p.Pruned())
	}
}

func TestOrphan(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	h.apply(h.resolve(webAndOld, "NS", ns))
	one := h.resolve(webRelease, "NS", ns, "GREETING", "hello")
	p := h.plan(one, plan.Options{})
	if len(p.Releases) != 2 {
		t.Fatalf("plan has %d releases, want web and the orphan old: %+v", len(p.Releases), p.Releases)
	}
	o := p.Releases[1]
	if o.Name != "old" || o.State != plan.StateOrphan || o.Action != plan.ActionNone || o.Current == nil || o.Current.Number != 1 {
		t.Fatalf("orphan: %+v", o)
	}
	// Described from its whole record, not from the labels the project's list reads.
	if c, d := o.Current, o.Deployed; c.Chart != "web" || c.Version == "" || c.Updated.IsZero() || d == nil || d.Number != 1 || d.Chart != "web" {
		t.Errorf("orphan's revisions: current %+v, deployed %+v; want chart web, its version and time, deployed revision 1", c, d)
	}
	if p.Release("old") != nil {
		t.Error("Plan.Release returns an orphan")
	}
	// Limited to some releases, the plan does not look for orphans.
	if p := h.plan(one, plan.Options{Releases: []string{"web"}}); len(p.Releases) != 1 {
		t.Errorf("plan of --release web has %d releases", len(p.Releases))
	}
}

func TestInstallAfterUninstallWithHistory(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	res := h.resolve(webRelease, "NS", ns, "GREETING", "hello")
	h.apply(res)
	cfg := action.NewConfiguration()
	if err := cfg.Init(h.conn.Getter(ns), ns, "secret"); err != nil {
		t.Fatal(err)
	}
	un := action.NewUninstall(cfg)
	un.KeepHistory, un.WaitStrategy, un.Timeout = true, kube.HookOnlyStrategy, time.Minute
	if _, err := un.Run("web"); err != nil {
		t.Fatal(err)
	}
	r := releaseNamed(t, h.plan(res, plan.Options{}), "web")
	wantState(t, r, plan.StateInstall, plan.ActionInstall)
	if !strings.Contains(r.Reason, "uninstalled at revision 1") || r.Revision != 2 {
		t.Errorf("reinstall: reason %q, revision %d", r.Reason, r.Revision)
	}
}
