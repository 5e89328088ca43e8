package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// adoptWeb declares web, as helmInstall installs it when GREETING is "from helm", with
// adopt: true.
const adoptWeb = `
releases:
  - name: web
    namespace: NS
    chart: CHARTS/web
    adopt: true
    values:
      greeting: GREETING
`

// noFlights is a project lock that records nothing: these tests run one apply at a time.
type noFlights struct{}

func (noFlights) Left() []lock.Flight                         { return nil }
func (noFlights) Record(context.Context, []lock.Flight) error { return nil }
func (noFlights) Done(...lock.Flight)                         {}

// transact runs kaji apply's transaction on res: plan with opts, then apply what the plan says.
func (h *harness) transact(res *spec.Resolved, opts plan.Options) (*apply.Result, error) {
	h.t.Helper()
	tx := &apply.Transaction{Planner: h.planner(), Runner: h.runner(), Flights: noFlights{}}
	return tx.Run(h.t.Context(), res, opts)
}

// storedRevisions counts the storage records of release name in ns.
func storedRevisions(t *testing.T, ns, name string) int {
	t.Helper()
	list, err := env.Client.CoreV1().Secrets(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "owner=helm,name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

// outcome returns the outcome of release name in the result, failing the test when it has none.
func outcome(t *testing.T, out *apply.Result, name string) apply.Outcome {
	t.Helper()
	if out == nil || out.Summary == nil {
		t.Fatalf("apply ran nothing: %+v", out)
	}
	for _, o := range out.Summary.Outcomes {
		if o.Release == name {
			return o
		}
	}
	t.Fatalf("apply has no outcome for %s: %+v", name, out.Summary.Outcomes)
	return apply.Outcome{}
}

// A release that helm made, declared with adopt: true and the same chart and values, is
// adopted by labelling its revision: no new revision, and from then on it is the project's for
// the plan, for the project's list of releases (orphans) and for uninstall.
func TestAdoptInSyncMakesNoRevision(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	helmInstall(t, h, ns, nil)
	res := h.resolve(adoptWeb, "NS", ns, "GREETING", "from helm")

	p := h.plan(res, plan.Options{})
	r := releaseNamed(t, p, "web")
	wantState(t, r, plan.StateUnmanaged, plan.ActionAdopt)
	if !p.HasChanges() || p.Adopted() != 1 || r.Revision != 0 || r.Current == nil || r.Current.Number != 1 {
		t.Errorf("plan: changes %t, adopted %d, revision %d, current %+v; want a change adopting revision 1, writing none",
			p.HasChanges(), p.Adopted(), r.Revision, r.Current)
	}
	if !strings.Contains(r.Reason, "made by helm") || !strings.Contains(r.Reason, "apply labels revision 1 as project "+h.project+"'s, without a new revision") {
		t.Errorf("reason %q", r.Reason)
	}
	for _, c := range r.Changes {
		if c.Action != plan.ChangeUnchanged {
			t.Errorf("adopting changes %s: %s", c.Object, c.Action)
		}
	}

	out, err := h.transact(res, plan.Options{})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if o := outcome(t, out, "web"); o.Result.Action != release.Adopted || o.Result.Revision != 1 {
		t.Errorf("apply: %+v, want web adopted at revision 1", o.Result)
	}
	last := lastRevision(t, h, ns, "web")
	if last.Version != 1 || last.Labels[release.ProjectLabel] != h.project || last.Info.Status.String() != "deployed" {
		t.Errorf("after adopting: revision %d (%s) labeled %v, want revision 1 deployed, labeled as project %s's",
			last.Version, last.Info.Status, last.Labels, h.project)
	}
	if n := storedRevisions(t, ns, "web"); n != 1 {
		t.Errorf("%d storage records after adopting, want the one there was", n)
	}
	// Helm's own record: the adoption changed the labels alone.
	if last.Config["greeting"] != "from helm" || last.Chart == nil || last.Chart.Metadata.Name != "web" {
		t.Errorf("the adopted revision changed: config %v", last.Config)
	}

	p = h.plan(res, plan.Options{})
	wantState(t, releaseNamed(t, p, "web"), plan.StateInSync, plan.ActionNone)
	if p.HasChanges() {
		t.Error("the plan after adopting has changes")
	}
	if out, err := h.transact(res, plan.Options{}); err != nil || !out.InSync {
		t.Errorf("second apply: %+v, %v; want nothing to do", out, err)
	}

	// The project's list of releases has it: without it in kaji.yaml, it is an orphan...
	empty := h.resolve("releases: []\n")
	orphan := h.plan(empty, plan.Options{Prune: true})
	if len(orphan.Releases) != 1 || orphan.Releases[0].Name != "web" || orphan.Releases[0].Action != plan.ActionUninstall {
		t.Errorf("plan without web: %+v, want web an orphan to uninstall", orphan.Releases)
	}
	// ... and destroy uninstalls it.
	sum, err := h.runner().Destroy(t.Context(), res)
	if err != nil || sum.Outcomes[0].Result.Action != release.Uninstalled {
		t.Fatalf("destroy after adopting: %v %+v", err, sum)
	}
	if n := storedRevisions(t, ns, "web"); n != 0 {
		t.Errorf("%d storage records after destroy, want none", n)
	}
}

// adopt: true on a release whose values changed adopts and upgrades it: one new revision.
func TestAdoptWithChangesUpgrades(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	helmInstall(t, h, ns, nil)
	res := h.resolve(adoptWeb, "NS", ns, "GREETING", "from kaji")

	r := releaseNamed(t, h.plan(res, plan.Options{}), "web")
	wantState(t, r, plan.StateUnmanaged, plan.ActionUpgrade)
	if r.Revision != 2 || !strings.Contains(r.Reason, "upgrades it: values changed") {
		t.Errorf("plan: revision %d, reason %q; want revision 2, values changed", r.Revision, r.Reason)
	}
	out, err := h.transact(res, plan.Options{})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if o := outcome(t, out, "web"); o.Result.Action != release.Upgraded || o.Result.Revision != 2 {
		t.Errorf("apply: %+v, want web upgraded to revision 2", o.Result)
	}
	if last := lastRevision(t, h, ns, "web"); last.Version != 2 || last.Labels[release.ProjectLabel] != h.project {
		t.Errorf("after apply: revision %d labeled %v", last.Version, last.Labels)
	}
	wantState(t, releaseNamed(t, h.plan(res, plan.Options{}), "web"), plan.StateInSync, plan.ActionNone)
}

// A release that another kaji project owns is taken over likewise, and is that project's no
// more: not in its list of releases, and not its to uninstall.
func TestAdoptAnotherProjectsRelease(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	helmInstall(t, h, ns, map[string]string{release.ProjectLabel: "other"})
	res := h.resolve(adoptWeb, "NS", ns, "GREETING", "from helm")

	r := releaseNamed(t, h.plan(res, plan.Options{}), "web")
	wantState(t, r, plan.StateUnmanaged, plan.ActionAdopt)
	if !strings.Contains(r.Reason, `owned by kaji project "other"`) {
		t.Errorf("reason %q", r.Reason)
	}
	if _, err := h.transact(res, plan.Options{}); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if last := lastRevision(t, h, ns, "web"); last.Version != 1 || last.Labels[release.ProjectLabel] != h.project {
		t.Errorf("after adopting: revision %d labeled %v", last.Version, last.Labels)
	}
	theirs, err := h.planner().Storage.ProjectReleases(t.Context(), "other")
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range theirs {
		if rel.Namespace == ns {
			t.Errorf("project other still lists %s revision %d", rel.Name, rel.Version)
		}
	}
	other := release.NewManager(h.conn, release.Options{Project: "other", Timeout: time.Minute})
	var notOwned *release.NotOwnedError
	if _, err := other.Uninstall(t.Context(), "web", ns, time.Minute); !errors.As(err, &notOwned) || notOwned.Owner != h.project {
		t.Errorf("the other project's uninstall: %v, want a NotOwnedError naming %s", err, h.project)
	}
	wantState(t, releaseNamed(t, h.plan(res, plan.Options{}), "web"), plan.StateInSync, plan.ActionNone)
}

// Without adopt: true and without --adopt, a release in sync that helm made stays blocked,
// and apply leaves it as it was.
func TestInSyncUnmanagedStaysBlockedWithoutAdopt(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	helmInstall(t, h, ns, nil)
	res := h.resolve(webRelease, "NS", ns, "GREETING", "from helm")

	r := releaseNamed(t, h.plan(res, plan.Options{}), "web")
	wantState(t, r, plan.StateUnmanaged, plan.ActionBlocked)
	if !strings.Contains(r.Reason, "unless --adopt, or adopt: true") || !strings.Contains(r.Reason, "in sync with kaji.yaml: adopting it labels revision 1") {
		t.Errorf("reason %q", r.Reason)
	}
	if _, err := h.transact(res, plan.Options{}); err == nil {
		t.Error("apply of a release that is not the project's succeeded")
	}
	if last := lastRevision(t, h, ns, "web"); last.Version != 1 || last.Labels[release.ProjectLabel] != "" {
		t.Errorf("after the refused apply: revision %d labeled %v, want revision 1 without the label", last.Version, last.Labels)
	}
}
