package plan_test

import (
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/release"
)

// leavePending writes revision 2 of web pending-upgrade, as a run killed in its upgrade leaves
// it.
func leavePending(t *testing.T, ns string) *driver.Secrets {
	t.Helper()
	secrets := driver.NewSecrets(env.Client.CoreV1().Secrets(ns))
	stored, err := secrets.Get("sh.helm.release.v1.web.v1")
	if err != nil {
		t.Fatal(err)
	}
	pending := *stored.(*rspb.Release)
	info := *pending.Info
	info.Status, info.Description = common.StatusPendingUpgrade, "Preparing upgrade"
	info.LastDeployed = time.Now().Add(-2 * time.Minute)
	pending.Info, pending.Version = &info, 2
	if err := secrets.Create("sh.helm.release.v1.web.v2", &pending); err != nil {
		t.Fatal(err)
	}
	return secrets
}

func TestAPendingRevisionAStoppedRunLeftIsRecovered(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	res := h.resolve(webRelease, "NS", ns, "GREETING", "hello")
	h.apply(res)
	secrets := leavePending(t, ns)

	// A flight that is not this pending revision proves nothing: the release stays blocked.
	for _, other := range []lock.Flight{
		{Namespace: ns, Name: "web", Revision: 3},
		{Namespace: ns, Name: "web", Revision: 1},
		{Namespace: "elsewhere", Name: "web", Revision: 2},
		{Namespace: ns, Name: "api", Revision: 2},
	} {
		r := releaseNamed(t, h.plan(res, plan.Options{Recover: []lock.Flight{other}}), "web")
		wantState(t, r, plan.StatePending, plan.ActionBlocked)
		if r.Recover || !strings.Contains(r.Reason, "kaji unlock web") {
			t.Errorf("with flight %v: recover %v, reason %q; want blocked", other, r.Recover, r.Reason)
		}
	}

	p := h.plan(res, plan.Options{Recover: []lock.Flight{{Namespace: ns, Name: "web", Revision: 2}}})
	r := releaseNamed(t, p, "web")
	wantState(t, r, plan.StateFailed, plan.ActionUpgrade)
	if !r.Recover || r.Revision != 3 || r.Blocked() != nil || !p.HasChanges() {
		t.Errorf("recover %v, revision %d, blocked %v; want recovered, upgraded to revision 3", r.Recover, r.Revision, r.Blocked())
	}
	want := "left pending-upgrade by a kaji run that stopped (revision 2): apply marks it failed first, as `kaji unlock` would, then upgrades it"
	if r.Reason != want {
		t.Errorf("reason %q, want %q", r.Reason, want)
	}
	if r.Current == nil || r.Current.Number != 2 || r.Current.Status != "pending-upgrade" {
		t.Errorf("current %+v, want revision 2 as it is: pending-upgrade", r.Current)
	}

	// Apply follows the plan: it marks revision 2 failed, then upgrades.
	sum, err := h.runner().ApplySteps(t.Context(), res, map[string]apply.Step{"web": {
		Chart: r.Loaded, Values: r.Values, Mode: release.ModeUpgrade, Recover: r.Recover}})
	if err != nil {
		t.Fatal(err)
	}
	got := sum.Outcomes[0].Result
	if got.Revision != 3 || got.Recovered == nil || got.Recovered.Revision != 2 || got.Recovered.Was != "pending-upgrade" {
		t.Errorf("apply result %+v (recovered %+v), want revision 3 after recovering revision 2", got, got.Recovered)
	}
	two, err := secrets.Get("sh.helm.release.v1.web.v2")
	if err != nil {
		t.Fatal(err)
	}
	if st := two.(*rspb.Release).Info.Status; st != common.StatusFailed {
		t.Errorf("revision 2 is %s after the recovery, want failed", st)
	}
	wantState(t, releaseNamed(t, h.plan(res, plan.Options{}), "web"), plan.StateInSync, plan.ActionNone)
}
