package apply

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"kaji.dev/kaji/internal/release"
)

// stopping is a Releases for the instant a run is stopped: c fails at once; a waits for go,
// then stops the run (stop) and returns as if it had succeeded.
type stopping struct {
	stop    func()
	release chan struct{}
	mu      sync.Mutex
	started []string
}

func (s *stopping) Apply(_ context.Context, d release.Desired) (release.Result, error) {
	s.mu.Lock()
	s.started = append(s.started, d.Name)
	s.mu.Unlock()
	switch d.Name {
	case "c":
		return release.Result{}, errors.New("c broke")
	case "a":
		<-s.release
		s.stop()
	}
	return release.Result{Name: d.Name, Action: release.Installed, Revision: 1}, nil
}

func (*stopping) Unlock(context.Context, string, string, time.Time) (release.Unlocked, error) {
	return release.Unlocked{}, nil
}

func (*stopping) Adopt(context.Context, string, string, int, string) (release.Result, error) {
	return release.Result{}, errors.New("no release is adopted here")
}

func (s *stopping) Uninstall(ctx context.Context, name, _ string, _ time.Duration) (release.Result, error) {
	return s.Apply(ctx, release.Desired{Name: name})
}

// TestNothingStartsOnceTheRunIsStopped stops the run from inside a's operation, so that the
// scheduler next finds both a's end and the stop ready at once: b, which needs a, must never
// start. The bubble makes it so: while the scheduler skips e (c failed), a is let go and the
// scheduler waits until a's goroutine is blocked handing its outcome over. A select alone
// picks either at random, and starts b about every other run.
func TestNothingStartsOnceTheRunIsStopped(t *testing.T) {
	for _, how := range []string{"interrupt", "halt"} {
		t.Run(how, func(t *testing.T) {
			for range 64 {
				synctest.Test(t, func(t *testing.T) {
					ctx, cancel := context.WithCancel(t.Context())
					defer cancel()
					halt := make(chan struct{})
					s := &stopping{release: make(chan struct{}), stop: cancel}
					if how == "halt" {
						s.stop = func() { close(halt) }
					}
					var armed atomic.Bool
					rn := &Runner{Charts: noCharts{}, Releases: s, Halt: halt, Concurrency: 4,
						Observe: func(e Event) {
							if e.Kind == Failed && e.Release == "c" {
								armed.Store(true) // the scheduler's next look at the clock skips e
							}
						},
						Now: func() time.Time {
							if armed.CompareAndSwap(true, false) {
								close(s.release)
								synctest.Wait() // a stopped the run and waits to say it ended
							}
							return time.Unix(0, 0)
						},
					}
					sum, err := rn.Apply(ctx, graph("c", "a", "e:c", "b:a"))
					if s.mu.Lock(); slices.Contains(s.started, "b") {
						t.Fatalf("started %v: b started after the run was stopped", s.started)
					}
					s.mu.Unlock()
					var re *RunError
					if !errors.As(err, &re) || !re.Interrupted {
						t.Fatalf("err = %v, want an interrupted RunError", err)
					}
					want := "not started: interrupted"
					if how == "halt" {
						want = "not started: halted"
					}
					if o := sum.Outcomes[3]; o.SkippedBecause != want {
						t.Errorf("b skipped because %q, want %q", o.SkippedBecause, want)
					}
					if o := sum.Outcomes[1]; o.Err != nil {
						t.Errorf("a: %v, want it to have succeeded", o.Err)
					}
				})
			}
		})
	}
}
