package plan_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/release"
)

// transactOK runs kaji apply's transaction and fails the test on any error.
func (h *harness) transactOK(body string, vars ...string) {
	h.t.Helper()
	if _, err := h.transact(h.resolve(body, vars...), plan.Options{}); err != nil {
		h.t.Fatalf("apply: %v", err)
	}
}

// revisionSecret returns the storage Secret of revision of release name in ns.
func revisionSecret(t *testing.T, ns, name string, revision int) *corev1.Secret {
	t.Helper()
	sec, err := env.Client.CoreV1().Secrets(ns).Get(t.Context(), fmt.Sprintf("sh.helm.release.v1.%s.v%d", name, revision), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sec
}

// inputsLabel returns the kaji.dev/inputs label of revision of release name in ns.
func inputsLabel(t *testing.T, ns, name string, revision int) string {
	t.Helper()
	return revisionSecret(t, ns, name, revision).Labels[release.InputsLabel]
}

// setSource creates or updates the ConfigMap "source" in ns, which the lookup charts read,
// with value.
func setSource(t *testing.T, ns, value string) {
	t.Helper()
	cms := env.Client.CoreV1().ConfigMaps(ns)
	source := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "source", Namespace: ns}, Data: map[string]string{"value": value}}
	if _, err := cms.Update(t.Context(), source, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
		_, err = cms.Create(t.Context(), source, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	} else if err != nil {
		t.Fatal(err)
	}
}

// A release that kaji applied and whose chart, values and cluster did not change since is not
// rendered again: the plan takes the stored manifest. A chart that renders a random value each
// time is then in sync, where rendering it would plan an upgrade on every run
// (TestNondeterministicChartIsMarked, for a revision without the label).
func TestAppliedReleaseWithSameInputsIsNotRenderedAgain(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	body := `
releases:
  - name: rnd
    namespace: NS
    chart: CHARTS/random
    values:
      unused: VALUE
`
	h.transactOK(body, "NS", ns, "VALUE", "a")
	r := releaseNamed(t, h.plan(h.resolve(body, "NS", ns, "VALUE", "a"), plan.Options{}), "rnd")
	if got, want := inputsLabel(t, ns, "rnd", 1), plan.InputsLabel(r.Inputs, 1); got == "" || got != want {
		t.Fatalf("revision 1 is labeled %s=%q, want %q", release.InputsLabel, got, want)
	}
	wantState(t, r, plan.StateInSync, plan.ActionNone)

	// Other values: rendered again, and the random value changes.
	r = releaseNamed(t, h.plan(h.resolve(body, "NS", ns, "VALUE", "b"), plan.Options{}), "rnd")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if c := change(t, r, "ConfigMap", "rnd"); c.Action != plan.ChangeUpdate {
		t.Errorf("ConfigMap rnd: %s, want update", c.Action)
	}

	// Drift is still found: the live objects are compared with the stored manifest.
	cm, err := env.Client.CoreV1().ConfigMaps(ns).Get(t.Context(), "rnd", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cm.Data["TOKEN"] = "by hand"
	if _, err := env.Client.CoreV1().ConfigMaps(ns).Update(t.Context(), cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r = releaseNamed(t, h.plan(h.resolve(body, "NS", ns, "VALUE", "a"), plan.Options{}), "rnd")
	if r.State != plan.StateDrifted || !strings.Contains(r.Reason, "data.TOKEN") {
		t.Errorf("after an edit: state %s (%s), want drifted in data.TOKEN", r.State, r.Reason)
	}
}

// Helm's loader lists a chart's subcharts in no fixed order (it reads charts/ into a map),
// so each plan may load them in another order than apply did. The inputs must not change
// with that order: a release of a chart with subcharts and a random value stays in sync plan
// after plan, where a render would plan an upgrade.
func TestInputsDoNotDependOnTheOrderOfSubcharts(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	body := `
releases:
  - name: subs
    namespace: NS
    chart: CHARTS/random-subcharts
`
	h.transactOK(body, "NS", ns)
	res := h.resolve(body, "NS", ns)
	// The loader's map lists eight subcharts in one of eight orders, about equally likely:
	// eight plans that all load them as apply did would be a chance of one in 16,777,216.
	for i := range 8 {
		r := releaseNamed(t, h.plan(res, plan.Options{}), "subs")
		if r.State != plan.StateInSync {
			t.Fatalf("plan %d after the install: state %s (%s), want in sync", i+1, r.State, r.Reason)
		}
	}
}

// Helm carries a revision's labels over to the next when someone else upgrades: the label
// must not vouch for that revision, whose manifest kaji did not render.
func TestInputsLabelDoesNotVouchForAnotherRevision(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	h.transactOK(webRelease, "NS", ns, "GREETING", "from kaji")

	res := h.resolve(webRelease, "NS", ns, "GREETING", "by hand")
	ch, err := h.charts.Chart(t.Context(), res.Releases[0])
	if err != nil {
		t.Fatal(err)
	}
	up := action.NewUpgrade(helmConfig(t, h, ns))
	up.Namespace, up.WaitStrategy, up.Timeout, up.ServerSideApply = ns, kube.HookOnlyStrategy, time.Minute, "true"
	if _, err := up.RunWithContext(t.Context(), "web", ch, map[string]any{"greeting": "by hand"}); err != nil {
		t.Fatal(err)
	}
	if inputsLabel(t, ns, "web", 2) == "" {
		t.Fatalf("helm's upgrade did not carry the label over: this test no longer tests anything")
	}

	r := releaseNamed(t, h.plan(h.resolve(webRelease, "NS", ns, "GREETING", "from kaji"), plan.Options{}), "web")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if !strings.Contains(r.Reason, "values changed") {
		t.Errorf("reason %q, want values changed", r.Reason)
	}
}

// A chart that calls lookup renders from the cluster as it is: when an object it looked up
// changed, it is rendered again.
func TestChartThatCallsLookupIsRenderedWhenAnAnswerChanged(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	setSource(t, ns, "one")
	body := `
releases:
  - name: copy
    namespace: NS
    chart: CHARTS/lookup
`
	h.transactOK(body, "NS", ns)
	wantState(t, releaseNamed(t, h.plan(h.resolve(body, "NS", ns), plan.Options{}), "copy"), plan.StateInSync, plan.ActionNone)

	setSource(t, ns, "two")
	r := releaseNamed(t, h.plan(h.resolve(body, "NS", ns), plan.Options{}), "copy")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if c := change(t, r, "ConfigMap", "copy"); c.Action != plan.ChangeUpdate {
		t.Errorf("ConfigMap copy: %s, want update", c.Action)
	}
}

// lookupsAnnotation returns the kaji.dev/lookups annotation of revision of release name in ns.
func lookupsAnnotation(t *testing.T, ns, name string, revision int) (string, bool) {
	t.Helper()
	v, ok := revisionSecret(t, ns, name, revision).Annotations[release.LookupsAnnotation]
	return v, ok
}

// A chart that calls lookup is not rendered again while every lookup of the render that
// wrote its revision answers as it did: the revision records them, and the plan asks again.
// The chart also renders a random value, so a render would plan an upgrade.
func TestChartThatCallsLookupIsNotRenderedWhileItsAnswersStay(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	setSource(t, ns, "one")
	body := `
releases:
  - name: copy
    namespace: NS
    chart: CHARTS/lookup-random
`
	h.transactOK(body, "NS", ns)
	got, ok := lookupsAnnotation(t, ns, "copy", 1)
	if !ok || !strings.Contains(got, `"name":"source"`) {
		t.Fatalf("revision 1 is annotated %s=%q, want the lookup of ConfigMap source", release.LookupsAnnotation, got)
	}
	r := releaseNamed(t, h.plan(h.resolve(body, "NS", ns), plan.Options{}), "copy")
	wantState(t, r, plan.StateInSync, plan.ActionNone)
	if r.Lookups != got {
		t.Errorf("plan carries lookups %q, want the revision's %q", r.Lookups, got)
	}

	// The source changes: rendered again, with the new value.
	setSource(t, ns, "two")
	r = releaseNamed(t, h.plan(h.resolve(body, "NS", ns), plan.Options{}), "copy")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if data, _ := change(t, r, "ConfigMap", "copy").Planned["data"].(map[string]any); data["FROM"] != "two" {
		t.Errorf("ConfigMap copy planned with data %v, want FROM=two", data)
	}

	// Applied: the new revision records the new answer, the one it supersedes none.
	h.transactOK(body, "NS", ns)
	if v, ok := lookupsAnnotation(t, ns, "copy", 1); ok {
		t.Errorf("superseded revision 1 still annotated %q", v)
	}
	if v, _ := lookupsAnnotation(t, ns, "copy", 2); v == "" || v == got {
		t.Errorf("revision 2 is annotated %q, want the new answer (revision 1 had %q)", v, got)
	}
	wantState(t, releaseNamed(t, h.plan(h.resolve(body, "NS", ns), plan.Options{}), "copy"), plan.StateInSync, plan.ActionNone)
}

// A chart that finds nothing where it creates the object itself (a password generated on
// install and kept in its own Secret) gets an answer that changes as soon as the release is
// written: such a revision records no lookups, and is rendered. The next revision, whose
// render found the Secret, records them. The chart also renders a random label, so a render
// plans an upgrade.
func TestLookupOfAnObjectTheReleaseCreatesIsNotRecordedUntilFound(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	body := `
releases:
  - name: db
    namespace: NS
    chart: CHARTS/keeps-password
`
	h.transactOK(body, "NS", ns)
	if v, ok := lookupsAnnotation(t, ns, "db", 1); ok {
		t.Fatalf("revision 1, which created the Secret it looked up, is annotated %q", v)
	}
	r := releaseNamed(t, h.plan(h.resolve(body, "NS", ns), plan.Options{}), "db")
	wantState(t, r, plan.StateUpgrade, plan.ActionUpgrade)
	if r.Lookups == "" {
		t.Fatalf("the plan's render found the Secret, yet records no lookups")
	}

	h.transactOK(body, "NS", ns)
	if v, _ := lookupsAnnotation(t, ns, "db", 2); v != r.Lookups {
		t.Errorf("revision 2 is annotated %q, want the plan's %q", v, r.Lookups)
	}
	wantState(t, releaseNamed(t, h.plan(h.resolve(body, "NS", ns), plan.Options{}), "db"), plan.StateInSync, plan.ActionNone)
}

// A release that the plan rendered and found in sync, whose revision records no lookups (its
// render found nothing where it creates the object), gets the plan's lookups recorded on that
// revision by the next apply that changes something else; an apply that changes nothing
// writes nothing.
func TestApplyRecordsTheLookupsOfAReleaseInSync(t *testing.T) {
	h := newHarness(t)
	ns := env.Namespace(t)
	body := webRelease + `
  - name: db
    namespace: NS
    chart: CHARTS/keeps-secret
`
	h.transactOK(body, "NS", ns, "GREETING", "one")
	if v, ok := lookupsAnnotation(t, ns, "db", 1); ok {
		t.Fatalf("revision 1, which created the Secret it looked up, is annotated %q", v)
	}
	r := releaseNamed(t, h.plan(h.resolve(body, "NS", ns, "GREETING", "one"), plan.Options{}), "db")
	wantState(t, r, plan.StateInSync, plan.ActionNone)
	if !r.RecordLookups || r.Lookups == "" {
		t.Fatalf("db in sync after a render that found its Secret: RecordLookups %v, lookups %q", r.RecordLookups, r.Lookups)
	}

	h.transactOK(body, "NS", ns, "GREETING", "one") // nothing to do
	if v, ok := lookupsAnnotation(t, ns, "db", 1); ok {
		t.Fatalf("an apply with nothing to do annotated revision 1 with %q", v)
	}

	h.transactOK(body, "NS", ns, "GREETING", "two") // web changes
	if v, _ := lookupsAnnotation(t, ns, "db", 1); v != r.Lookups {
		t.Fatalf("after an apply that changed web, db's revision 1 is annotated %q, want the plan's %q", v, r.Lookups)
	}
	r = releaseNamed(t, h.plan(h.resolve(body, "NS", ns, "GREETING", "two"), plan.Options{}), "db")
	wantState(t, r, plan.StateInSync, plan.ActionNone)
	if r.RecordLookups || r.Current == nil || r.Current.Number != 1 {
		t.Errorf("db after its lookups were recorded: RecordLookups %v, current %+v; want false, revision 1", r.RecordLookups, r.Current)
	}
}
