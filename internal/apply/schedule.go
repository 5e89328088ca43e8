package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"kaji.dev/kaji/internal/release"
)

// task is one release operation that may start once every release in after has succeeded.
type task struct {
	name, namespace string
	after           []string
	// verb says how the task relates to after, for skip reasons: "needs" or "needed by".
	verb string
	run  func(context.Context) (release.Result, error)
	// settled, when set, is the task's outcome without running anything (a release in sync).
	settled *Outcome
	// deaf says that run does not stop when its context ends (Helm's uninstall takes none):
	// when the run is halted the scheduler stops waiting for it, and the operation is left to
	// end with the process.
	deaf bool
}

// runCut runs t with ctx; a deaf task is given up, still running, when ctx ends.
func runCut(ctx context.Context, t task) (release.Result, error) {
	if !t.deaf {
		return t.run(ctx)
	}
	type result struct {
		res release.Result
		err error
	}
	ch := make(chan result, 1)
	go func() {
		res, err := t.run(ctx)
		ch <- result{res, err}
	}()
	select {
	case r := <-ch:
		return r.res, r.err
	case <-ctx.Done():
		return release.Result{}, fmt.Errorf("%s/%s was still running: %w", t.namespace, t.name, ctx.Err())
	}
}

type finished struct {
	i int
	o Outcome
}

// schedule runs tasks as a graph: each starts once all it waits for have succeeded, up to
// Concurrency at once, and is skipped when one of them failed or was skipped. Outcomes come
// back in the order of tasks, whatever order the tasks ran in. Once ctx is cancelled nothing new
// starts; running operations get a context that is not cancelled, so that Helm never leaves a
// release half-applied. Only Halt cancels it: the run must stop acting at once.
func (rn *Runner) schedule(ctx context.Context, tasks []task) (*Summary, error) {
	const (
		waiting = iota
		running
		succeeded
		failed
		skipped
	)
	index := make(map[string]int, len(tasks))
	for i, t := range tasks {
		index[t.name] = i
	}
	state := make([]int, len(tasks))
	outcomes := make([]Outcome, len(tasks))
	broken := map[string]string{}
	done := make(chan finished)
	opCtx, cutOff := context.WithCancel(context.WithoutCancel(ctx))
	defer cutOff()
	inFlight, limit := 0, rn.concurrency()
	interrupted := false
	halt := rn.Halt
	var halted []string // running when the run was halted
	// haltNow cuts the running operations off, once.
	haltNow := func() {
		halt, interrupted = nil, true // a nil channel is never ready again
		halted = []string{}
		for i, t := range tasks {
			if state[i] == running {
				halted = append(halted, t.namespace+"/"+t.name)
			}
		}
		cutOff()
	}
	// stopped tells whether the run was interrupted or halted. It is asked right before a task
	// starts: a select between a finished task and the interrupt picks either at random, so it
	// cannot be what keeps a dependent from starting after the interrupt.
	stopped := func() bool {
		select {
		case <-halt:
			haltNow()
		default:
		}
		if ctx.Err() != nil {
			interrupted = true
		}
		return interrupted
	}

	skip := func(i int, reason string) {
		t := tasks[i]
		state[i] = skipped
		outcomes[i] = rn.skip(t.name, t.namespace, reason)
		broken[t.name] = t.name + ", which was skipped"
	}
	ready := func(t task) bool {
		for _, a := range t.after {
			if j, ok := index[a]; ok && state[j] != succeeded {
				return false
			}
		}
		return true
	}
	for i, t := range tasks {
		if t.settled != nil {
			state[i], outcomes[i] = succeeded, *t.settled
		}
	}
	for {
		// Settle every waiting task that can be settled now, in order. Skipping one may unblock
		// nothing but can doom others, so go round until nothing changes.
		for changed := true; changed; {
			changed = false
			for i, t := range tasks {
				if state[i] != waiting {
					continue
				}
				switch why := blockedBy(t.after, broken); {
				case why != "":
					skip(i, t.verb+" "+why)
					changed = true
				case interrupted:
					skip(i, "not started: "+stopReason(ctx, halted != nil))
					changed = true
				case inFlight < limit && ready(t):
					if stopped() {
						changed = true // skipped on the next round
						continue
					}
					state[i] = running
					inFlight++
					go func() {
						done <- finished{i, rn.run(t.name, t.namespace, func() (release.Result, error) {
							res, err := runCut(opCtx, t)
							if err != nil && opCtx.Err() != nil {
								err = fmt.Errorf("cut off, it may be left pending: %w", err)
							}
							return res, err
						})}
					}()
					changed = true
				}
			}
		}
		if inFlight == 0 {
			break
		}
		stop := ctx.Done()
		if interrupted {
			stop = nil // already stopping: wait for the running operations, or a halt
		}
		var f finished
		select {
		case f = <-done:
		case <-stop:
			interrupted = true
			continue
		case <-halt:
			haltNow()
			continue
		}
		inFlight--
		outcomes[f.i] = f.o
		if f.o.Err != nil {
			state[f.i] = failed
			broken[tasks[f.i].name] = tasks[f.i].name + ", which failed"
		} else {
			state[f.i] = succeeded
		}
	}
	sum := &Summary{Outcomes: outcomes}
	var cut, broke []string
	for _, o := range sum.Outcomes {
		if o.Err == nil {
			continue
		}
		ref := o.Namespace + "/" + o.Release
		broke = append(broke, ref)
		if slices.Contains(halted, ref) {
			cut = append(cut, ref)
		}
	}
	if f, k := sum.Failed(), sum.Skipped(); f+k > 0 || interrupted {
		return sum, &RunError{Failed: f, Skipped: k, Interrupted: interrupted || ctx.Err() != nil, CutOff: cut, FailedReleases: broke}
	}
	return sum, nil
}

// stopReason says why a release was not started after the run was stopped: the cause given
// to ctx's cancellation when there is one, such as "the project lock was lost".
func stopReason(ctx context.Context, halted bool) string {
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause.Error()
	}
	if halted {
		return "halted"
	}
	return "interrupted"
}

func (rn *Runner) run(name, namespace string, op func() (release.Result, error)) Outcome {
	start := rn.now()
	rn.emit(Event{Kind: Started, Release: name, Namespace: namespace, Time: start})
	res, err := op()
	end := rn.now()
	o := Outcome{Release: name, Namespace: namespace, Result: res, Err: err, Elapsed: end.Sub(start)}
	if err != nil {
		rn.emit(Event{Kind: Failed, Release: name, Namespace: namespace, Time: end, Elapsed: o.Elapsed, Err: err})
	} else {
		rn.emit(Event{Kind: Succeeded, Release: name, Namespace: namespace, Time: end, Elapsed: o.Elapsed, Result: res})
	}
	return o
}

func (rn *Runner) skip(name, namespace, reason string) Outcome {
	rn.emit(Event{Kind: Skipped, Release: name, Namespace: namespace, Time: rn.now(), Reason: reason})
	return Outcome{Release: name, Namespace: namespace, SkippedBecause: reason}
}
