package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"kaji.dev/kaji/internal/apply"
)

// ExitAborted is the exit code after a second interrupt: the shell's code for SIGINT.
const ExitAborted = 130

// inflight tracks the releases whose Helm operation is running, so that an abort can name them.
type inflight struct {
	mu  sync.Mutex
	ops map[string]bool
	// lease is the lease of the project lock while this run holds it, else zero.
	lease time.Duration
}

// holding records that the run holds the project lock with lease, or no longer holds it (0).
func (f *inflight) holding(lease time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lease = lease
}

func (f *inflight) held() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lease
}

func newInflight() *inflight { return &inflight{ops: map[string]bool{}} }

// wrap returns an observer that records starts and ends before passing events on.
func (f *inflight) wrap(next apply.Observer) apply.Observer {
	return func(e apply.Event) {
		f.mu.Lock()
		ref := e.Namespace + "/" + e.Release
		switch e.Kind {
		case apply.Started:
			f.ops[ref] = true
		case apply.Succeeded, apply.Failed:
			delete(f.ops, ref)
		}
		f.mu.Unlock()
		next(e)
	}
}

func (f *inflight) list() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	refs := make([]string, 0, len(f.ops))
	for ref := range f.ops {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	return refs
}

// Run runs kaji like Main. When ctx ends (a first interrupt), a run with Helm operations
// going lets them finish and starts no new one; a run that holds the project lock but runs no
// Helm operation gets stopGrace to release it; any other run, such as validate, plan, status,
// doctor or lock, returns ExitAborted at once. When abort is closed (a second interrupt) it
// returns at once, without waiting for running Helm operations, after naming the releases
// they may leave pending and how to recover them.
func Run(ctx context.Context, abort <-chan struct{}, args []string, streams Streams) int {
	streams, flush := streams.redacting()
	defer flush()
	tr := newInflight()
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, streams, tr) }()
	interrupted := ctx.Done()
	var grace <-chan time.Time
	for {
		select {
		case code := <-done:
			return code
		case <-interrupted:
			// Only a run with Helm operations going has something to let finish. A run that
			// holds the project lock gets a moment to release it; any other run stops at once,
			// whatever it is computing.
			interrupted = nil
			switch {
			case len(tr.list()) > 0:
				fmt.Fprintln(streams.Err, InterruptedText)
			case tr.held() > 0:
				grace = time.After(stopGrace)
			default:
				fmt.Fprintln(streams.Err, StoppedText)
				return ExitAborted
			}
		case <-grace:
			grace = nil
			if len(tr.list()) == 0 {
				reportAbort(streams.Err, nil, tr.held())
				return ExitAborted
			}
			fmt.Fprintln(streams.Err, InterruptedText)
		case <-abort:
			reportAbort(streams.Err, tr.list(), tr.held())
			return ExitAborted
		}
	}
}

// stopGrace is how long an interrupted run that holds the project lock, but runs no Helm
// operation, has to stop by itself and release the lock before it is stopped at once.
const stopGrace = 5 * time.Second

// StoppedText is what kaji says when an interrupt stops a run that changes nothing.
const StoppedText = "interrupted: stopped"

// InterruptedText is what kaji says on the first interrupt.
const InterruptedText = "interrupted: no new release starts, and running Helm operations finish; interrupt again to abort at once"

// reportAbort names the releases whose Helm operations an abort cut off, and says when the
// project lock, which an aborted run does not release, frees itself.
func reportAbort(w io.Writer, refs []string, lease time.Duration) {
	if len(refs) == 0 {
		fmt.Fprintln(w, "aborted: no Helm operation was running")
	} else {
		fmt.Fprintln(w, "aborted while Helm operations were running; these releases may be left pending:")
		for _, ref := range refs {
			fmt.Fprintln(w, "  "+ref)
		}
		fmt.Fprintln(w, recoverPending("apply"))
	}
	if lease > 0 {
		fmt.Fprintf(w, "the project lock stays held until its lease runs out, within %s; the next run waits for that, then takes it over\n", lease)
	}
}

// recoverPending says how to recover releases that a cut-off run of command may have left
// pending. An apply run recorded them in the project lock, so that the next apply recovers
// them by itself.
func recoverPending(command string) string {
	if command == "apply" {
		return "run `kaji apply` again: it recovers the releases this run left pending; " +
			"`kaji unlock RELEASE` remains for a release left pending by anything else (see `kaji plan`)"
	}
	return "run `kaji plan` to see them, then `kaji unlock RELEASE` for each one still pending, and `kaji " + command + "` again"
}
