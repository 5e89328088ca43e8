package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// These tests cover the scheduling graph alone; apply_test.go runs the same Runner against a
// real API server with real Helm.

type noCharts struct{}

func (noCharts) Chart(context.Context, spec.ResolvedRelease) (*chartv2.Chart, error) {
	return &chartv2.Chart{}, nil
}

// gate is a Releases whose operations block until released, and that records what ran when.
type gate struct {
	mu       sync.Mutex
	started  []string
	finished []string
	running  int
	peak     int
	fail     map[string]bool
	hold     map[string]chan struct{}
	ctxErrs  map[string]error
	timeouts map[string]time.Duration
}

func newGate(names ...string) *gate {
	g := &gate{fail: map[string]bool{}, hold: map[string]chan struct{}{}, ctxErrs: map[string]error{}, timeouts: map[string]time.Duration{}}
	for _, n := range names {
		g.hold[n] = make(chan struct{})
	}
	return g
}

func (g *gate) op(ctx context.Context, name string) (release.Result, error) {
	g.mu.Lock()
	g.started = append(g.started, name)
	g.running++
	g.peak = max(g.peak, g.running)
	ch := g.hold[name]
	g.mu.Unlock()
	if ch != nil {
		<-ch
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running--
	g.finished = append(g.finished, name)
	g.ctxErrs[name] = ctx.Err()
	if g.fail[name] {
		return release.Result{}, fmt.Errorf("%s broke", name)
	}
	return release.Result{Name: name, Action: release.Installed, Revision: 1}, nil
}

func (g *gate) Apply(ctx context.Context, d release.Desired) (release.Result, error) {
	g.mu.Lock()
	g.timeouts[d.Name] = d.Timeout
	g.mu.Unlock()
	return g.op(ctx, d.Name)
}

func (*gate) Unlock(context.Context, string, string, time.Time) (release.Unlocked, error) {
	return release.Unlocked{}, nil
}

func (*gate) Adopt(context.Context, string, string, int, string) (release.Result, error) {
	return release.Result{}, errors.New("no release is adopted here")
}

func (g *gate) Uninstall(ctx context.Context, name, _ string, timeout time.Duration) (release.Result, error) {
	g.mu.Lock()
	g.timeouts[name] = timeout
	g.mu.Unlock()
	return g.op(ctx, name)
}

func (g *gate) startedSoFar() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.started)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// graph builds a resolved file from "name:need,need" entries, in the order given.
func graph(entries ...string) *spec.Resolved {
	res := &spec.Resolved{}
	for _, e := range entries {
		name, needs, _ := strings.Cut(e, ":")
		r := spec.ResolvedRelease{Name: name, Namespace: "ns"}
		if needs != "" {
			r.Needs = strings.Split(needs, ",")
		}
		res.Releases = append(res.Releases, r)
	}
	return res
}

// The scheduling tests run in a synctest bubble: synctest.Wait returns once every goroutine of
// the run is blocked, so that what has started by then is all that can start, with no sleep.

func TestIndependentReleasesRunTogetherUpToTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate("a", "b", "c", "d")
		rn := &Runner{Charts: noCharts{}, Releases: g, Concurrency: 3}
		res := graph("a", "b", "c", "d")
		errc := make(chan error, 1)
		go func() { _, err := rn.Apply(t.Context(), res); errc <- err }()

		synctest.Wait() // a fourth must not start while three run
		if got := g.startedSoFar(); len(got) != 3 {
			t.Fatalf("started %v with concurrency 3", got)
		}
		for _, n := range []string{"a", "b", "c", "d"} {
			close(g.hold[n])
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if g.peak != 3 {
			t.Errorf("peak concurrency %d, want 3", g.peak)
		}
	})
}

func TestNoReleaseStartsBeforeItsNeeds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate("base", "left", "right", "top")
		rn := &Runner{Charts: noCharts{}, Releases: g}
		res := graph("top:left,right", "left:base", "right:base", "base")
		errc := make(chan error, 1)
		go func() { _, err := rn.Apply(t.Context(), res); errc <- err }()

		synctest.Wait()
		if got := g.startedSoFar(); !slices.Equal(got, []string{"base"}) {
			t.Fatalf("first started %v, want [base]", got)
		}
		close(g.hold["base"])
		synctest.Wait()
		if got := g.startedSoFar(); len(got) != 3 || !slices.Contains(got, "left") || !slices.Contains(got, "right") {
			t.Fatalf("after base started %v, want left and right together", got)
		}
		close(g.hold["left"])
		synctest.Wait()
		if slices.Contains(g.startedSoFar(), "top") {
			t.Fatal("top started before right finished")
		}
		close(g.hold["right"])
		close(g.hold["top"])
		sum, err := rn.Apply(context.Background(), graph("x")) // the runner is reusable
		if err != nil || len(sum.Outcomes) != 1 {
			t.Fatalf("second run: %v", err)
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	})
}

func TestFailureSkipsDependentsTransitivelyAndOnlyThem(t *testing.T) {
	g := newGate()
	g.fail["db"] = true
	rn := &Runner{Charts: noCharts{}, Releases: g}
	sum, err := rn.Apply(t.Context(), graph("db", "api:db", "web:api", "cache", "worker:cache"))
	var runErr *RunError
	if !errors.As(err, &runErr) || runErr.Failed != 1 || runErr.Skipped != 2 || runErr.Interrupted {
		t.Fatalf("err = %v, want 1 failed and 2 skipped", err)
	}
	want := map[string]string{"api": "needs db, which failed", "web": "needs api, which was skipped"}
	for _, o := range sum.Outcomes {
		if o.SkippedBecause != want[o.Release] {
			t.Errorf("%s skipped because %q, want %q", o.Release, o.SkippedBecause, want[o.Release])
		}
	}
	if got := sortedCopy(g.finished); !slices.Equal(got, []string{"cache", "db", "worker"}) {
		t.Errorf("ran %v, want cache, db and worker", got)
	}
	// Outcomes keep the file order, whatever order the releases ran in.
	var order []string
	for _, o := range sum.Outcomes {
		order = append(order, o.Release)
	}
	if !slices.Equal(order, []string{"db", "api", "web", "cache", "worker"}) {
		t.Errorf("outcome order %v", order)
	}
}

func TestInterruptStartsNothingNewAndLetsRunningFinish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newGate("slow", "next", "other")
		rn := &Runner{Charts: noCharts{}, Releases: g, Concurrency: 1}
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		var sum *Summary
		go func() {
			var err error
			sum, err = rn.Apply(ctx, graph("slow", "next:slow", "other"))
			errc <- err
		}()
		synctest.Wait()
		cancel()
		synctest.Wait() // the run saw the interrupt, and starts nothing more
		close(g.hold["slow"])
		err := <-errc
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want an interruption", err)
		}
		if got := g.startedSoFar(); !slices.Equal(got, []string{"slow"}) {
			t.Errorf("started %v after the interrupt, want only slow", got)
		}
		if g.ctxErrs["slow"] != nil {
			t.Errorf("the running operation saw its context cancelled: %v", g.ctxErrs["slow"])
		}
		if sum.Outcomes[0].Err != nil || sum.Outcomes[0].Result.Revision != 1 {
			t.Errorf("slow did not finish: %+v", sum.Outcomes[0])
		}
		for _, o := range sum.Outcomes[1:] {
			if o.SkippedBecause != "not started: interrupted" {
				t.Errorf("%s: %q", o.Release, o.SkippedBecause)
			}
		}
	})
}

func TestDestroyRunsDependentsFirst(t *testing.T) {
	g := newGate()
	g.fail["web"] = true
	rn := &Runner{Charts: noCharts{}, Releases: g, Concurrency: 1}
	sum, err := rn.Destroy(t.Context(), graph("db", "api:db", "web:api", "cache"))
	if err == nil {
		t.Fatal("destroy with a failing uninstall succeeded")
	}
	if !slices.Equal(g.finished, []string{"cache", "web"}) {
		t.Errorf("uninstalled %v, want cache then web (reverse order), and nothing web needs", g.finished)
	}
	for _, o := range sum.Outcomes {
		if o.Release == "api" && o.SkippedBecause != "needed by web, which failed" {
			t.Errorf("api skipped because %q", o.SkippedBecause)
		}
	}
}

func TestTimeoutsReachEveryOperation(t *testing.T) {
	res := graph("db", "api:db")
	res.Releases[1].Timeout = 7 * time.Minute // kaji.yaml's own, for api
	for _, op := range []string{"apply", "destroy"} {
		g := newGate()
		rn := &Runner{Charts: noCharts{}, Releases: g, Timeout: 90 * time.Second}
		var err error
		if op == "apply" {
			_, err = rn.Apply(t.Context(), res)
		} else {
			_, err = rn.Destroy(t.Context(), res)
		}
		if err != nil {
			t.Fatal(err)
		}
		if g.timeouts["db"] != 90*time.Second || g.timeouts["api"] != 7*time.Minute {
			t.Errorf("%s: timeouts %v, want db 1m30s (--timeout) and api 7m (kaji.yaml)", op, g.timeouts)
		}
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
