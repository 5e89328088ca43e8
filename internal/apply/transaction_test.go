package apply_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// The crash-recovery protocol of a transaction, with fakes: which flights it records in the
// lock before it starts, and which it leaves there for the next run when it ends. The process
// tests (internal/cli crash_test.go) run the same protocol against real processes.

// fakePlanner returns its plan.
type fakePlanner struct {
	plan *plan.Plan
	got  plan.Options
}

func (f *fakePlanner) Plan(_ context.Context, _ *spec.Resolved, opts plan.Options) (*plan.Plan, error) {
	f.got = opts
	return f.plan, nil
}

// fakeFlights is the project lock: what was recorded, and what Release would leave.
type fakeFlights struct {
	left     []lock.Flight
	recorded []lock.Flight
	kept     []lock.Flight
}

func (f *fakeFlights) Left() []lock.Flight { return f.left }

func (f *fakeFlights) Record(_ context.Context, flights []lock.Flight) error {
	f.recorded, f.kept = slices.Clone(flights), slices.Clone(flights)
	return nil
}

func (f *fakeFlights) Done(flights ...lock.Flight) {
	f.kept = slices.DeleteFunc(f.kept, func(x lock.Flight) bool { return slices.Contains(flights, x) })
}

// fakeReleases fails the operations of the releases in fail, and records what it did.
type fakeReleases struct {
	fail map[string]bool
	mu   sync.Mutex
	did  []string
}

func (f *fakeReleases) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.did = append(f.did, s)
}

func (f *fakeReleases) Apply(_ context.Context, d release.Desired) (release.Result, error) {
	f.note("apply " + d.Name)
	if f.fail[d.Name] {
		return release.Result{}, errors.New("upgrade failed")
	}
	return release.Result{Name: d.Name, Namespace: d.Namespace, Action: release.Upgraded}, nil
}

func (f *fakeReleases) Uninstall(_ context.Context, name, namespace string, _ time.Duration) (release.Result, error) {
	f.note("uninstall " + name)
	return release.Result{Name: name, Namespace: namespace, Action: release.Uninstalled}, nil
}

func (f *fakeReleases) Unlock(_ context.Context, name, namespace string, _ time.Time) (release.Unlocked, error) {
	f.note("unlock " + name)
	return release.Unlocked{Name: name, Namespace: namespace, Revision: 5, Was: "pending-upgrade"}, nil
}

func (f *fakeReleases) Adopt(_ context.Context, name, namespace string, revision int, _ string) (release.Result, error) {
	f.note(fmt.Sprintf("adopt %s %d", name, revision))
	if f.fail[name] {
		return release.Result{}, errors.New("adopt failed")
	}
	return release.Result{Name: name, Namespace: namespace, Action: release.Adopted, Revision: revision}, nil
}

func flight(name string, rev int) lock.Flight {
	return lock.Flight{Namespace: "ns", Name: name, Revision: rev}
}

func TestTransactionFlights(t *testing.T) {
	loaded := &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "c", Version: "1.0.0"}}
	upgrade := func(name string, rev int) plan.Release {
		return plan.Release{Name: name, Namespace: "ns", State: plan.StateUpgrade, Action: plan.ActionUpgrade, Revision: rev,
			Current: &plan.Revision{Number: rev - 1, Status: "deployed"}, Loaded: loaded}
	}
	recovering := func(name string, pending int) plan.Release {
		r := upgrade(name, pending+1)
		r.State, r.Recover, r.Current.Status = plan.StateFailed, true, "pending-upgrade"
		r.Current.Number = pending
		return r
	}
	refused := func(r plan.Release) plan.Release {
		r.Action, r.Revision = plan.ActionRefused, 0
		r.Changes = []plan.ObjectChange{{Object: plan.ObjectRef{Group: "apps", Kind: "Deployment", Name: r.Name}, Action: plan.ChangeUpdate,
			Conflicts: []plan.Conflict{{Path: "spec.replicas", Manager: "kube-controller-manager", Kind: plan.ManagerOther}}}}
		return r
	}
	inSync := plan.Release{Name: "b", Namespace: "ns", State: plan.StateInSync, Action: plan.ActionNone, Loaded: loaded}
	adopt := func(name string, rev int) plan.Release {
		return plan.Release{Name: name, Namespace: "ns", State: plan.StateUnmanaged, Action: plan.ActionAdopt,
			Current: &plan.Revision{Number: rev, Status: "deployed"}, Loaded: loaded}
	}
	cases := []struct {
		name string
		// releases in kaji.yaml: b needs a when needs is set.
		needs    bool
		planned  []plan.Release
		fail     []string
		recorded []lock.Flight
		kept     []lock.Flight
		did      []string
		wantErr  string
	}{
		{name: "an upgrade that succeeds is done", planned: []plan.Release{upgrade("a", 3), inSync},
			recorded: []lock.Flight{flight("a", 3)}, did: []string{"apply a"}},
		{name: "an upgrade that fails stays recorded: Helm may not have recorded how it ended",
			planned: []plan.Release{upgrade("a", 3), inSync}, fail: []string{"a"},
			recorded: []lock.Flight{flight("a", 3)}, kept: []lock.Flight{flight("a", 3)}, did: []string{"apply a"}, wantErr: "1 release(s) failed"},
		{name: "a release that never started is done", needs: true, planned: []plan.Release{upgrade("a", 3), upgrade("b", 2)}, fail: []string{"a"},
			recorded: []lock.Flight{flight("a", 3), flight("b", 2)}, kept: []lock.Flight{flight("a", 3)}, did: []string{"apply a"}, wantErr: "1 skipped"},
		{name: "a recovered revision is done with the upgrade that replaced it", planned: []plan.Release{recovering("a", 5), inSync},
			recorded: []lock.Flight{flight("a", 5), flight("a", 6)}, did: []string{"unlock a", "apply a"}},
		{name: "a recovered revision stays when the upgrade after it fails", planned: []plan.Release{recovering("a", 5), inSync}, fail: []string{"a"},
			recorded: []lock.Flight{flight("a", 5), flight("a", 6)}, kept: []lock.Flight{flight("a", 5), flight("a", 6)},
			did: []string{"unlock a", "apply a"}, wantErr: "failed"},
		{name: "a revision to recover stays pending when its release never started", needs: true,
			planned: []plan.Release{upgrade("a", 3), recovering("b", 5)}, fail: []string{"a"},
			recorded: []lock.Flight{flight("a", 3), flight("b", 5), flight("b", 6)}, kept: []lock.Flight{flight("a", 3), flight("b", 5)},
			did: []string{"apply a"}, wantErr: "skipped"},
		{name: "a revision to recover stays recorded when its release is refused for conflicts",
			planned:  []plan.Release{refused(recovering("a", 5)), inSync},
			recorded: []lock.Flight{flight("a", 5)}, kept: []lock.Flight{flight("a", 5)}, wantErr: "1 release(s) failed"},
		{name: "an adoption labels the planned revision, and records no flight: it makes no revision",
			planned: []plan.Release{adopt("a", 3), inSync}, did: []string{"adopt a 3"}},
		{name: "an adoption that fails leaves nothing in the lock", needs: true,
			planned: []plan.Release{adopt("a", 3), upgrade("b", 2)}, fail: []string{"a"},
			recorded: []lock.Flight{flight("b", 2)}, did: []string{"adopt a 3"}, wantErr: "1 skipped"},
		{name: "a pending release is blocked, and the run says how to recover it",
			planned: []plan.Release{{Name: "a", Namespace: "ns", State: plan.StatePending, Action: plan.ActionBlocked, Reason: "revision 4 is pending-upgrade",
				Current: &plan.Revision{Number: 4, Status: "pending-upgrade"}}, inSync},
			wantErr: "run `kaji unlock a`, then `kaji apply` again"},
		{name: "another project's release is blocked without unlock's advice",
			planned: []plan.Release{{Name: "a", Namespace: "ns", State: plan.StateUnmanaged, Action: plan.ActionBlocked, Reason: "owned by kaji project \"q\"",
				Current: &plan.Revision{Number: 1, Status: "deployed", Project: "q"}}, inSync},
			wantErr: "1 release(s) failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := &spec.Resolved{Project: "p", Releases: []spec.ResolvedRelease{{Name: "a", Namespace: "ns"}, {Name: "b", Namespace: "ns"}}}
			if c.needs {
				res.Releases[1].Needs = []string{"a"}
			}
			rels := &fakeReleases{fail: map[string]bool{}}
			for _, f := range c.fail {
				rels.fail[f] = true
			}
			fl := &fakeFlights{left: []lock.Flight{flight("a", 5)}}
			planner := &fakePlanner{plan: &plan.Plan{Project: "p", Releases: c.planned}}
			tx := &apply.Transaction{Planner: planner, Runner: &apply.Runner{Releases: rels, Concurrency: 1}, Flights: fl}
			out, err := tx.Run(t.Context(), res, plan.Options{Adopt: true})
			if !slices.Equal(planner.got.Recover, fl.left) || !planner.got.Adopt {
				t.Errorf("planned with %+v, want the flights left in the lock and Adopt", planner.got)
			}
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("run: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("run: %v, want an error with %q", err, c.wantErr)
			}
			var pending *apply.PendingRunError
			if errors.As(err, &pending) != strings.Contains(c.wantErr, "kaji unlock") {
				t.Errorf("run error %T: %v", err, err)
			}
			if !slices.Equal(fl.recorded, c.recorded) {
				t.Errorf("recorded %v, want %v", fl.recorded, c.recorded)
			}
			if !slices.Equal(fl.kept, c.kept) {
				t.Errorf("left in the lock %v, want %v", fl.kept, c.kept)
			}
			if !slices.Equal(rels.did, c.did) {
				t.Errorf("did %v, want %v", rels.did, c.did)
			}
			if out == nil || out.Summary == nil || len(out.Summary.Outcomes) != 2 {
				t.Errorf("result %+v", out)
			}
		})
	}
}

// Nothing is recorded nor run when the plan has nothing to do, has errors, or is declined.
func TestTransactionStopsBeforeRecording(t *testing.T) {
	loaded := &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "c", Version: "1.0.0"}}
	res := &spec.Resolved{Project: "p", Releases: []spec.ResolvedRelease{{Name: "a", Namespace: "ns"}}}
	up := plan.Release{Name: "a", Namespace: "ns", State: plan.StateUpgrade, Action: plan.ActionUpgrade, Revision: 2, Loaded: loaded}
	broken := up
	broken.Err = errors.New("template: boom")
	cases := []struct {
		name    string
		planned plan.Release
		confirm bool
		want    func(*apply.Result, error) error
	}{
		{"in sync", plan.Release{Name: "a", Namespace: "ns", State: plan.StateInSync, Action: plan.ActionNone}, true,
			func(r *apply.Result, err error) error {
				if err != nil || !r.InSync {
					return fmt.Errorf("%+v, %v; want InSync", r, err)
				}
				return nil
			}},
		{"plan errors", broken, true, func(r *apply.Result, err error) error {
			if err == nil || !strings.Contains(err.Error(), "nothing was applied") || !strings.Contains(err.Error(), "boom") {
				return fmt.Errorf("%v; want nothing was applied: boom", err)
			}
			return nil
		}},
		{"declined", up, false, func(r *apply.Result, err error) error {
			if err != nil || !r.Declined {
				return fmt.Errorf("%+v, %v; want Declined", r, err)
			}
			return nil
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rels := &fakeReleases{}
			fl := &fakeFlights{}
			var shown, asked bool
			tx := &apply.Transaction{Planner: &fakePlanner{plan: &plan.Plan{Releases: []plan.Release{c.planned}}},
				Runner: &apply.Runner{Releases: rels}, Flights: fl,
				Show:    func(*plan.Plan) error { shown = true; return nil },
				Confirm: func(context.Context, *plan.Plan) (bool, error) { asked = true; return c.confirm, nil }}
			out, err := tx.Run(t.Context(), res, plan.Options{})
			if werr := c.want(out, err); werr != nil {
				t.Error(werr)
			}
			if !shown || asked != (c.name == "declined") {
				t.Errorf("shown %v, asked %v", shown, asked)
			}
			if fl.recorded != nil || rels.did != nil {
				t.Errorf("recorded %v and did %v, want nothing", fl.recorded, rels.did)
			}
		})
	}
}

// A failing Check ends the run before the plan is shown, asked about, recorded or run; a
// passing one lets it go on.
func TestTransactionCheck(t *testing.T) {
	loaded := &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "c", Version: "1.0.0"}}
	res := &spec.Resolved{Project: "p", Releases: []spec.ResolvedRelease{{Name: "a", Namespace: "ns"}}}
	up := plan.Release{Name: "a", Namespace: "ns", State: plan.StateUpgrade, Action: plan.ActionUpgrade, Revision: 2, Loaded: loaded}
	stale := errors.New("revision 1 → 2")
	for _, checkErr := range []error{stale, nil} {
		rels := &fakeReleases{}
		fl := &fakeFlights{}
		var checked *plan.Plan
		var shown, asked bool
		want := &plan.Plan{Releases: []plan.Release{up}}
		tx := &apply.Transaction{Planner: &fakePlanner{plan: want},
			Runner: &apply.Runner{Releases: rels}, Flights: fl,
			Check:   func(p *plan.Plan) error { checked = p; return checkErr },
			Show:    func(*plan.Plan) error { shown = true; return nil },
			Confirm: func(context.Context, *plan.Plan) (bool, error) { asked = true; return true, nil }}
		_, err := tx.Run(t.Context(), res, plan.Options{})
		if checked != want {
			t.Errorf("Check got %p, want the plan %p", checked, want)
		}
		if checkErr != nil {
			if !errors.Is(err, stale) || shown || asked || fl.recorded != nil || rels.did != nil {
				t.Errorf("failed check: err %v, shown %v, asked %v, recorded %v, did %v; want the check's error and nothing else", err, shown, asked, fl.recorded, rels.did)
			}
			continue
		}
		if err != nil || !shown || !asked || len(rels.did) != 1 {
			t.Errorf("passed check: err %v, shown %v, asked %v, did %v; want the release applied", err, shown, asked, rels.did)
		}
	}
}

// A plan with an error is reported as that error, not as a stale saved plan: Check does not
// run on a plan that could not be computed in full.
func TestTransactionCheckAfterPlanErrors(t *testing.T) {
	res := &spec.Resolved{Project: "p", Releases: []spec.ResolvedRelease{{Name: "a", Namespace: "ns"}}}
	loadErr := errors.New("chart ./charts/app: no such directory")
	broken := plan.Release{Name: "a", Namespace: "ns", State: plan.StateUpgrade, Action: plan.ActionUpgrade, Err: loadErr}
	checked := false
	fl := &fakeFlights{}
	rels := &fakeReleases{}
	tx := &apply.Transaction{Planner: &fakePlanner{plan: &plan.Plan{Releases: []plan.Release{broken}}},
		Runner: &apply.Runner{Releases: rels}, Flights: fl,
		Check: func(*plan.Plan) error { checked = true; return errors.New("what apply would install changed") }}
	_, err := tx.Run(t.Context(), res, plan.Options{})
	if checked || !errors.Is(err, loadErr) || !strings.Contains(err.Error(), "nothing was applied") {
		t.Errorf("checked %v, err %v; want the plan's error, unchecked", checked, err)
	}
	if fl.recorded != nil || rels.did != nil {
		t.Errorf("recorded %v and did %v, want nothing", fl.recorded, rels.did)
	}
}
