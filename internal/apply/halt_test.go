package apply

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"kaji.dev/kaji/internal/release"
)

// stuck is a Releases whose operations run until their context ends, like a Helm wait on an
// API server that went away; the names in quick finish at once.
type stuck struct {
	mu      sync.Mutex
	started []string
	quick   map[string]bool
}

func (s *stuck) Apply(ctx context.Context, d release.Desired) (release.Result, error) {
	s.mu.Lock()
	s.started = append(s.started, d.Name)
	s.mu.Unlock()
	if s.quick[d.Name] {
		return release.Result{Name: d.Name, Action: release.Installed, Revision: 1}, nil
	}
	<-ctx.Done()
	return release.Result{}, errors.New("install ns/" + d.Name + ": " + ctx.Err().Error())
}

func (*stuck) Unlock(context.Context, string, string, time.Time) (release.Unlocked, error) {
	return release.Unlocked{}, nil
}

func (*stuck) Adopt(context.Context, string, string, int, string) (release.Result, error) {
	return release.Result{}, errors.New("no release is adopted here")
}

func (s *stuck) Uninstall(ctx context.Context, name, _ string, _ time.Duration) (release.Result, error) {
	return s.Apply(ctx, release.Desired{Name: name})
}

func (s *stuck) startedSoFar() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.started)
}

func TestHaltCutsRunningOperationsOffAndStartsNothing(t *testing.T) {
	for _, cancelFirst := range []bool{false, true} {
		name := "halt alone"
		if cancelFirst {
			name = "cancel then halt"
		}
		t.Run(name, func(t *testing.T) {
			s := &stuck{quick: map[string]bool{"done": true}}
			halt := make(chan struct{})
			var rec []Event
			rn := &Runner{Charts: noCharts{}, Releases: s, Halt: halt, Observe: func(e Event) { rec = append(rec, e) }}
			ctx, cancel := context.WithCancelCause(t.Context())
			defer cancel(nil)
			type result struct {
				sum *Summary
				err error
			}
			res := make(chan result, 1)
			go func() {
				sum, err := rn.Apply(ctx, graph("done", "a:done", "b:done", "after:a"))
				res <- result{sum, err}
			}()
			waitFor(t, func() bool { return len(s.startedSoFar()) == 3 })
			if cancelFirst {
				// What a lost lock does: no new release, and then the running ones are cut off.
				cancel(errors.New("the project lock was lost"))
			}
			close(halt)
			r := <-res

			var re *RunError
			if !errors.As(r.err, &re) || !errors.Is(r.err, context.Canceled) {
				t.Fatalf("err = %v, want a halted RunError", r.err)
			}
			if !slices.Equal(re.CutOff, []string{"ns/a", "ns/b"}) || !slices.Equal(re.FailedReleases, re.CutOff) || re.Failed != 2 || re.Skipped != 1 {
				t.Errorf("run error %+v, want a and b cut off, after skipped", re)
			}
			if !strings.Contains(re.Error(), "may be left pending: ns/a, ns/b") {
				t.Errorf("run error text %q", re.Error())
			}
			if got := s.startedSoFar(); slices.Contains(got, "after") {
				t.Errorf("started %v: after started once the run was halted", got)
			}
			if o := r.sum.Outcomes[0]; o.Err != nil || o.Result.Revision != 1 {
				t.Errorf("done: %+v, want it installed and untouched by the halt", o)
			}
			for _, o := range r.sum.Outcomes[1:3] {
				if o.Err == nil || !strings.Contains(o.Err.Error(), "cut off, it may be left pending: install ns/"+o.Release+": context canceled") {
					t.Errorf("%s: %v, want it cut off", o.Release, o.Err)
				}
			}
			want := "not started: halted"
			if cancelFirst {
				want = "not started: the project lock was lost"
			}
			if o := r.sum.Outcomes[3]; o.SkippedBecause != want {
				t.Errorf("after skipped because %q, want %q", o.SkippedBecause, want)
			}
			failed := 0
			for _, e := range rec {
				if e.Kind == Failed {
					failed++
				}
			}
			if failed != 2 {
				t.Errorf("%d failed events, want 2: %+v", failed, rec)
			}
		})
	}
}

// deaf is a Releases whose uninstalls ignore their context, as Helm's uninstall takes none:
// the ones in hold run until the test ends; the others finish at once.
type deaf struct {
	hold    map[string]bool
	release chan struct{}
	mu      sync.Mutex
	started []string
}

func (d *deaf) Apply(context.Context, release.Desired) (release.Result, error) {
	return release.Result{}, errors.New("not for destroy")
}

func (*deaf) Unlock(context.Context, string, string, time.Time) (release.Unlocked, error) {
	return release.Unlocked{}, nil
}

func (*deaf) Adopt(context.Context, string, string, int, string) (release.Result, error) {
	return release.Result{}, errors.New("no release is adopted here")
}

func (d *deaf) Uninstall(_ context.Context, name, ns string, _ time.Duration) (release.Result, error) {
	d.mu.Lock()
	d.started = append(d.started, name)
	d.mu.Unlock()
	if d.hold[name] {
		<-d.release
	}
	return release.Result{Name: name, Namespace: ns, Action: release.Uninstalled}, nil
}

func (d *deaf) startedSoFar() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.started)
}

func TestHaltCutsARunningUninstallOff(t *testing.T) {
	d := &deaf{hold: map[string]bool{"api": true}, release: make(chan struct{})}
	defer close(d.release)
	halt := make(chan struct{})
	rn := &Runner{Charts: noCharts{}, Releases: d, Halt: halt}
	type result struct {
		sum *Summary
		err error
	}
	res := make(chan result, 1)
	go func() {
		// api needs db, web needs api: web goes first, then api, and db last.
		sum, err := rn.Destroy(t.Context(), graph("db", "api:db", "web:api"))
		res <- result{sum, err}
	}()
	waitFor(t, func() bool { return slices.Contains(d.startedSoFar(), "api") })
	close(halt)
	var r result
	select {
	case r = <-res:
	case <-time.After(20 * time.Second):
		t.Fatal("destroy was not cut off by the halt: it still waits for api's uninstall")
	}
	var re *RunError
	if !errors.As(r.err, &re) || !slices.Equal(re.CutOff, []string{"ns/api"}) || re.Skipped != 1 {
		t.Fatalf("err = %v (%+v), want api cut off and db not started", r.err, re)
	}
	if !strings.Contains(re.Error(), "may be left pending: ns/api") {
		t.Errorf("run error text %q", re.Error())
	}
	if got := d.startedSoFar(); slices.Contains(got, "db") {
		t.Errorf("started %v: db was uninstalled after the halt", got)
	}
	if o := r.sum.Outcomes[1]; o.Err == nil || !strings.Contains(o.Err.Error(), "cut off, it may be left pending: ns/api was still running: context canceled") {
		t.Errorf("api: %+v, want it cut off", o)
	}
	if o := r.sum.Outcomes[2]; o.SkippedBecause != "not started: halted" {
		t.Errorf("db skipped because %q, want halted", o.SkippedBecause)
	}
}
