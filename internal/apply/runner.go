package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// DefaultConcurrency is how many releases run at once unless told otherwise.
const DefaultConcurrency = 8

// Charts finds and loads the chart of a release.
type Charts interface {
	Chart(ctx context.Context, r spec.ResolvedRelease) (*chartv2.Chart, error)
}

// Releases performs Helm operations on single releases. It must be safe for concurrent use on
// different releases.
type Releases interface {
	Apply(ctx context.Context, d release.Desired) (release.Result, error)
	Uninstall(ctx context.Context, name, namespace string, timeout time.Duration) (release.Result, error)
	// Unlock marks the pending latest revision of a release failed.
	Unlock(ctx context.Context, name, namespace string, now time.Time) (release.Unlocked, error)
	// Adopt labels revision, the latest of a release that is not the project's, as the
	// project's, without a new revision.
	Adopt(ctx context.Context, name, namespace string, revision int, owner string) (release.Result, error)
}

// Runner applies and destroys the releases of a resolved kaji.yaml.
type Runner struct {
	Charts   Charts
	Releases Releases
	// Values gives each release's values; nil merges the layers as they are written
	// (values.Files).
	Values values.Source
	// Observe receives progress events, one at a time. Nil means no events.
	Observe Observer
	// Concurrency bounds how many releases run at once. Zero means DefaultConcurrency.
	Concurrency int
	// Wait and Timeout apply to every release that kaji.yaml does not give its own.
	Wait    bool
	Timeout time.Duration
	// RollbackOnFailure rolls back a failed upgrade and uninstalls a failed install, for
	// every release that kaji.yaml does not give its own rollbackOnFailure.
	RollbackOnFailure bool
	// ForceCRDs applies the CRDs of crds/ even when their safety rules refuse them
	// (release.CheckCRD), as kaji apply --force-crds does.
	ForceCRDs bool
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Halt, once closed, stops the run harder than cancelling its context: nothing new starts
	// and the running operations are cut off too (Helm stops waiting and marks the release
	// failed if it still can). It is for a run that must stop acting at once, such as one
	// that lost the project lock. Nil never halts.
	Halt <-chan struct{}

	emitMu sync.Mutex
}

// RunError is returned when one or more releases failed or were not attempted.
type RunError struct {
	Failed, Skipped int
	// Interrupted is set when the run was cancelled; releases not yet started were skipped.
	Interrupted bool
	// CutOff names (namespace/name) the releases whose running operation was cut off by
	// Halt: they may be left pending.
	CutOff []string
	// FailedReleases names (namespace/name) every release that failed, cut off ones included.
	FailedReleases []string
}

func (e *RunError) Error() string {
	if len(e.CutOff) > 0 {
		return fmt.Sprintf("halted: %d release(s) failed, %d not attempted; cut off, and may be left pending: %s",
			e.Failed, e.Skipped, strings.Join(e.CutOff, ", "))
	}
	if e.Interrupted {
		return fmt.Sprintf("interrupted: %d release(s) failed, %d not attempted; run again to converge", e.Failed, e.Skipped)
	}
	return fmt.Sprintf("%d release(s) failed, %d skipped; fix the errors above and run again: kaji converges", e.Failed, e.Skipped)
}

// Unwrap lets errors.Is(err, context.Canceled) see an interruption.
func (e *RunError) Unwrap() error {
	if e.Interrupted {
		return context.Canceled
	}
	return nil
}

type prepared struct {
	r      spec.ResolvedRelease
	chart  *chartv2.Chart
	values map[string]any
}

// Apply installs or upgrades every release, each after all it needs, up to Concurrency at once.
// Every chart is loaded and every values layer merged before the first release is touched, so
// that a mistake in the last release costs nothing on the cluster. A release whose needs failed
// is skipped; the others go on. When ctx is cancelled no new release starts, and the running
// ones finish: Helm operations are never cut off halfway.
func (rn *Runner) Apply(ctx context.Context, res *spec.Resolved) (*Summary, error) {
	return rn.ApplySteps(ctx, res, nil)
}

// Step is what a plan decided for one release.
type Step struct {
	// InSync means there is nothing to do: the release counts as done without an operation.
	InSync bool
	// Err fails the release without an operation, such as a release that is pending, or one
	// that apply refuses for conflicts with other field managers.
	Err error
	// Chart and Values, when Chart is set, are what the plan rendered: they are applied as
	// they are, without loading the chart again.
	Chart  *chartv2.Chart
	Values map[string]any
	// ForceConflicts takes over fields another field manager changed.
	ForceConflicts bool
	// Mode is whether the plan found the release to install or to upgrade; the zero value
	// lets the release manager read it again.
	Mode release.Mode
	// Recover marks the pending latest revision failed before the operation, as `kaji unlock`
	// does: it is the unfinished operation of a kaji run that stopped (plan.Release.Recover).
	Recover bool
	// Stored is how many revisions the plan found in Helm's storage. The operation trims the
	// history to the release's MaxHistory only when the new revision would exceed it: trimming
	// reads the whole history again, a request that is otherwise not needed.
	Stored int
	// Adopt, when not zero, is the revision to adopt without a new one: the release is in
	// sync but not the project's (plan.ActionAdopt), and apply only labels that revision.
	Adopt int
	// AdoptOwner is the owner (kaji.dev/project label) the plan saw on that revision, empty
	// when helm made it: adopting fails if it changed since.
	AdoptOwner string
	// Inputs labels the revision written with what the plan rendered it from
	// (plan.InputsLabel of the plan's Inputs and Revision); empty leaves it unlabeled.
	Inputs string
	// Lookups annotates that revision with the lookup calls of the plan's render
	// (plan.Release.Lookups); empty leaves it without.
	Lookups string
	// Unchanged are the objects of an upgrade that the plan found settled
	// (release.Desired.Unchanged).
	Unchanged map[release.ObjectKey]string
}

// ApplySteps is Apply following a plan: releases in sync are left alone, blocked ones fail
// without an operation, and the others are applied with what the plan rendered. A release
// missing from steps is applied as Apply would.
func (rn *Runner) ApplySteps(ctx context.Context, res *spec.Resolved, steps map[string]Step) (*Summary, error) {
	var load []spec.ResolvedRelease
	for _, r := range res.Releases {
		if st, ok := steps[r.Name]; !ok || (!st.InSync && st.Err == nil && st.Adopt == 0 && st.Chart == nil) {
			load = append(load, r)
		}
	}
	loaded, err := rn.prepareAll(ctx, load)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]prepared, len(loaded))
	for _, p := range loaded {
		byName[p.r.Name] = p
	}
	tasks := make([]task, len(res.Releases))
	for i, r := range res.Releases {
		st := steps[r.Name]
		p, ok := byName[r.Name]
		if !ok {
			p = prepared{r: r, chart: st.Chart, values: st.Values}
		}
		t := task{name: r.Name, namespace: r.Namespace, after: r.Needs, verb: "needs"}
		switch {
		case st.InSync:
			t.settled = &Outcome{Release: r.Name, Namespace: r.Namespace, Result: release.Result{
				Name: r.Name, Namespace: r.Namespace, Action: release.Unchanged}}
		case st.Err != nil:
			t.run = func(context.Context) (release.Result, error) { return release.Result{}, st.Err }
		case st.Adopt > 0:
			t.run = func(ctx context.Context) (release.Result, error) {
				return rn.Releases.Adopt(ctx, r.Name, r.Namespace, st.Adopt, st.AdoptOwner)
			}
		default:
			t.run = func(ctx context.Context) (release.Result, error) {
				recovered, err := rn.recover(ctx, r, st)
				if err != nil {
					return release.Result{}, err
				}
				d := rn.desired(p)
				d.ForceConflicts, d.Mode, d.Inputs, d.Lookups, d.Unchanged = st.ForceConflicts, st.Mode, st.Inputs, st.Lookups, st.Unchanged
				if _, planned := steps[r.Name]; planned && st.Stored < d.MaxHistory {
					d.MaxHistory = 0 // nothing to trim
				}
				res, err := rn.Releases.Apply(ctx, d)
				if err != nil && recovered != nil {
					err = fmt.Errorf("%w (revision %d, left %s by a stopped run, was marked failed first)", err, recovered.Revision, recovered.Was)
				}
				res.Recovered = recovered
				return res, err
			}
		}
		tasks[i] = t
	}
	return rn.schedule(ctx, tasks)
}

// recover gives up the pending revision that a stopped kaji run left on r, when the plan
// found one (Step.Recover), and returns what it gave up.
func (rn *Runner) recover(ctx context.Context, r spec.ResolvedRelease, st Step) (*release.Unlocked, error) {
	if !st.Recover {
		return nil, nil
	}
	u, err := rn.Releases.Unlock(ctx, r.Name, r.Namespace, rn.now())
	var notPending *release.NotPendingError
	switch {
	case errors.As(err, &notPending):
		return nil, nil // nothing left to recover
	case err != nil:
		return nil, fmt.Errorf("recover the release left pending by a stopped run: %w", err)
	}
	return &u, nil
}

// Destroy uninstalls every release, each after everything that needs it, up to Concurrency at
// once. A release stays when something that needs it could not be uninstalled. It stops as
// Apply does: once ctx is cancelled nothing new starts, and Halt gives up the uninstalls that
// run (Helm's uninstall cannot be cancelled: it is left to end with the process).
func (rn *Runner) Destroy(ctx context.Context, res *spec.Resolved) (*Summary, error) {
	neededBy := map[string][]string{}
	for _, r := range res.Releases {
		for _, n := range r.Needs {
			neededBy[n] = append(neededBy[n], r.Name)
		}
	}
	rels := res.Reverse()
	tasks := make([]task, len(rels))
	for i, r := range rels {
		tasks[i] = task{
			name: r.Name, namespace: r.Namespace, after: neededBy[r.Name], verb: "needed by", deaf: true,
			run: func(ctx context.Context) (release.Result, error) {
				timeout := rn.Timeout
				if r.Timeout > 0 {
					timeout = r.Timeout
				}
				return rn.Releases.Uninstall(ctx, r.Name, r.Namespace, timeout)
			},
		}
	}
	return rn.schedule(ctx, tasks)
}

// prepareAll loads charts and merges values for every release, in parallel, and reports every
// release that cannot be prepared.
func (rn *Runner) prepareAll(ctx context.Context, rels []spec.ResolvedRelease) ([]prepared, error) {
	preps := make([]prepared, len(rels))
	errs := make([]error, len(rels))
	sem := make(chan struct{}, rn.concurrency())
	var wg sync.WaitGroup
	for i, r := range rels {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p, err := rn.prepare(ctx, r)
			if err != nil {
				errs[i] = fmt.Errorf("release %s (%s): %w", r.Name, r.Pos, err)
			}
			preps[i] = p
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("nothing was applied: %w", err)
	}
	return preps, nil
}

func (rn *Runner) prepare(ctx context.Context, r spec.ResolvedRelease) (prepared, error) {
	ch, err := rn.Charts.Chart(ctx, r)
	if err != nil {
		return prepared{}, err
	}
	var src values.Source = values.Files{}
	if rn.Values != nil {
		src = rn.Values
	}
	vals, err := src.Values(ctx, r)
	if err != nil {
		return prepared{}, err
	}
	return prepared{r: r, chart: ch, values: vals}, nil
}

func (rn *Runner) desired(p prepared) release.Desired {
	d := release.Desired{
		Name: p.r.Name, Namespace: p.r.Namespace, Chart: p.chart, Values: p.values,
		CreateNamespace: p.r.CreateNamespace, Wait: rn.Wait, Timeout: rn.Timeout,
		RollbackOnFailure: rn.RollbackOnFailure, MaxHistory: p.r.MaxHistory,
		// The fields of ignoreDifferences are not sent, so that their owner keeps them.
		PostRenderer: p.r.Ignore.PostRenderer(),
		CRDs:         p.r.CRDs, ForceCRDs: rn.ForceCRDs,
	}
	if p.r.Wait != nil {
		d.Wait = *p.r.Wait
	}
	if p.r.RollbackOnFailure != nil {
		d.RollbackOnFailure = *p.r.RollbackOnFailure
	}
	if p.r.Timeout > 0 {
		d.Timeout = p.r.Timeout
	}
	return d
}

func (rn *Runner) concurrency() int {
	if rn.Concurrency > 0 {
		return rn.Concurrency
	}
	return DefaultConcurrency
}

func (rn *Runner) emit(e Event) {
	if rn.Observe == nil {
		return
	}
	rn.emitMu.Lock()
	defer rn.emitMu.Unlock()
	rn.Observe(e)
}

func (rn *Runner) now() time.Time {
	if rn.Now != nil {
		return rn.Now()
	}
	return time.Now()
}

// blockedBy returns why one of names is broken, or "" when none is.
func blockedBy(names []string, broken map[string]string) string {
	var whys []string
	for _, n := range names {
		if why, ok := broken[n]; ok {
			whys = append(whys, why)
		}
	}
	return strings.Join(whys, "; ")
}
