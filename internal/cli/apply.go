package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/plan/view"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/validate"
)

type applyFlags struct {
	yes               bool
	output            string
	concurrency       int
	wait              bool
	timeout           time.Duration
	rollbackOnFailure bool
	prune             bool
	lock              lockFlags
}

func newApplyCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Install or upgrade every release of kaji.yaml, in needs order",
		Long: `Install or upgrade every release declared in kaji.yaml. Releases run in parallel
(--concurrency), and none starts before every release it needs has succeeded.

First, the checks of kaji validate run: their errors stop apply before it contacts
the cluster; warnings are printed and apply goes on. Every chart is loaded and every
values file read before the first release is touched.

Then apply computes the plan, as kaji plan shows it, and prints it. On a terminal it
asks before acting, unless --yes is given. Only releases that are not in sync are
touched: an unchanged release gets no new revision, and a drifted one is applied
again, which corrects the drift. --prune also uninstalls the project's orphans.

A release whose needs failed is skipped, and says why; the others go on. Running
apply again converges. apply holds the project lock (a Lease) while it runs, so two
runs on one project take turns. On Ctrl-C no new release starts and running Helm
operations finish; a second Ctrl-C stops at once, and leaves the lock to expire
within --lock-lease. When the lock cannot be renewed (the API server cannot be
reached), the run stops within --lock-lease, cuts its running Helm operations off
and names the releases they may leave pending.

Before it changes releases, apply records them in the lock. When a run stopped
without saying how its operations ended (killed, or cut off from the API server),
the next apply finds the releases it left pending, marks them failed as kaji unlock
would, and upgrades them. kaji unlock remains for releases left pending by anything
else.`,
		Example: `  kaji apply
  kaji apply --env prod --yes
  kaji apply --wait --timeout 10m --rollback-on-failure
  kaji apply -o json | jq .   # a JSON event per line, for CI`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.output != "text" && f.output != "json" {
				return &UsageError{Err: fmt.Errorf("invalid --output %q: use text or json", f.output)}
			}
			// Validation comes first, before any request; it shares the chart loader with apply
			// when kaji.yaml loads, and reports kaji.yaml's own problems when it does not.
			s, prepErr := g.prepare()
			opts := validate.Options{}
			if prepErr == nil {
				opts.Loader = s.loader
			}
			if err := preflight(cmd.Context(), g, streams, "apply", opts); err != nil {
				return err
			}
			if prepErr != nil {
				return prepErr
			}
			if err := s.dial(cmd.Context(), g, streams); err != nil {
				return err
			}
			p := newProgress(streams, "apply", f.output)
			rn := s.runner(g.inflight.wrap(p.observe))
			rn.Concurrency, rn.Wait, rn.Timeout, rn.RollbackOnFailure = f.concurrency, f.wait, f.timeout, f.rollbackOnFailure
			// Discovery, which the plan needs, goes on while the lock is taken: one round trip
			// less to a remote API server. An error is not kept: the plan reads again and says.
			go func() { _, _ = s.conn.Capabilities() }()
			return s.holdLock(cmd.Context(), streams, f.lock, "apply", func(ctx context.Context, l *lock.Lock, halt <-chan struct{}) error {
				rn.Halt = halt // for the releases, and for the prune after them
				run, err := s.planApply(ctx, streams, f, l)
				if err != nil || run == nil {
					return err
				}
				sum, err := rn.ApplySteps(ctx, s.resolved, run.steps)
				settle(l, run.flights, sum)
				if err == nil && len(run.orphans.Releases) > 0 {
					// Orphans go last, once everything declared is in place.
					var pruned *apply.Summary
					pruned, err = rn.Destroy(ctx, run.orphans)
					if pruned != nil {
						sum.Outcomes = append(sum.Outcomes, pruned.Outcomes...)
					}
				}
				if sum != nil {
					p.summary(sum)
					hintOutcomes(streams, sum)
				}
				return pendingFirst(sum, err)
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	fs.StringVarP(&f.output, "output", "o", "text", "progress format: text, or json (one event per line)")
	fs.IntVar(&f.concurrency, "concurrency", apply.DefaultConcurrency, "how many releases run at once")
	fs.BoolVar(&f.wait, "wait", false, "wait until every object is ready (kstatus), up to --timeout; kaji.yaml can set it per release")
	fs.DurationVar(&f.timeout, "timeout", release.DefaultTimeout, "time for each release's Helm operation and wait; kaji.yaml can set it per release")
	fs.BoolVar(&f.prune, "prune", false, "uninstall orphans: releases labeled with this project that kaji.yaml no longer declares")
	fs.BoolVar(&f.rollbackOnFailure, "rollback-on-failure", false, "roll a failed upgrade back, and uninstall a failed install (implies --wait)")
	f.lock.add(fs)
	return cmd
}

// applyRun is what apply does once planned.
type applyRun struct {
	// steps are what the plan decided for each release.
	steps map[string]apply.Step
	// orphans are the orphans to prune, as releases to destroy.
	orphans *spec.Resolved
	// flights are the operations recorded in the project lock, by release.
	flights map[string]releaseFlights
}

// planApply plans the run under the lock l, recovering what the previous holder left pending,
// prints the plan, and asks on a terminal. It records in l the operations to come and returns
// what to do, or nil when there is nothing to do.
func (s *session) planApply(ctx context.Context, streams Streams, f *applyFlags, l *lock.Lock) (*applyRun, error) {
	planner, err := plan.ForCluster(s.conn, chartSource{s.loader})
	if err != nil {
		return nil, err
	}
	pl, err := planner.Plan(ctx, s.resolved, plan.Options{Prune: f.prune, Recover: l.Left()})
	if err != nil {
		return nil, err
	}
	ask := !f.yes && streams.Interactive
	// With -o json stdout carries only events: the plan a person is asked about goes to stderr.
	var planOut io.Writer
	switch {
	case f.output == "text":
		planOut = streams.Out
	case ask:
		planOut = streams.Err
	}
	if planOut != nil {
		printHeader(planOut, "apply", s)
		if err := view.Text(planOut, pl, view.TextOptions{Color: streams.color()}); err != nil {
			return nil, err
		}
	}
	if err := pl.Err(); err != nil {
		return nil, fmt.Errorf("nothing was applied: %w", err)
	}
	if !pl.HasChanges() {
		if f.output == "text" {
			fmt.Fprintln(streams.Out, "Nothing to do: every release is in sync.")
		}
		return nil, nil
	}
	if ask {
		ok, err := streams.confirm(ctx, planOut, "Apply this plan?")
		if err != nil {
			return nil, err
		}
		if !ok {
			fmt.Fprintln(planOut, "Nothing was changed.")
			return nil, nil
		}
	}
	steps := make(map[string]apply.Step, len(pl.Releases))
	for _, r := range s.resolved.Releases {
		pr := pl.Release(r.Name)
		if pr == nil {
			continue
		}
		var blocked error
		if err := pr.Blocked(); err != nil {
			blocked = &blockedError{name: r.Name, namespace: r.Namespace, reason: err, uninstalling: pr.Current != nil && pr.Current.Status == "uninstalling"}
		}
		steps[r.Name] = apply.Step{
			InSync: !pr.NeedsApply() && blocked == nil,
			Err:    blocked,
			Chart:  pr.Loaded, Values: pr.Values,
			ForceConflicts: pr.ForceConflicts,
			Mode:           modeOf(pr),
			Recover:        pr.Recover,
		}
	}
	flights := flightsOf(pl, steps)
	if err := l.Record(ctx, listFlights(flights)); err != nil {
		return nil, fmt.Errorf("nothing was applied: %w", err)
	}
	orphans := &spec.Resolved{Project: s.resolved.Project}
	for _, o := range pl.Pruned() {
		orphans.Releases = append(orphans.Releases, spec.ResolvedRelease{Name: o.Name, Namespace: o.Namespace})
	}
	return &applyRun{steps: steps, orphans: orphans, flights: flights}, nil
}

// modeOf tells the release manager what the plan found, which spares it reading the release
// again: the plan was made under the lock.
func modeOf(r *plan.Release) release.Mode {
	switch {
	case r.Action == plan.ActionUpgrade:
		return release.ModeUpgrade
	case r.Action != plan.ActionInstall:
		return release.ModeAuto
	case r.Current != nil:
		return release.ModeReinstall
	}
	return release.ModeInstall
}

// blockedError fails a release that a pending operation keeps apply from touching.
type blockedError struct {
	name, namespace string
	reason          error
	uninstalling    bool
}

func (e *blockedError) Error() string { return e.reason.Error() }
func (e *blockedError) Unwrap() error { return e.reason }

// pendingRunError ends a run in which pending releases kept apply from converging: running it
// again changes nothing until they are recovered.
type pendingRunError struct {
	blocked []*blockedError
	run     error
}

func (e *pendingRunError) Error() string {
	names := make([]string, len(e.blocked))
	var fixes []string
	for i, b := range e.blocked {
		names[i] = b.name
		if b.uninstalling {
			fixes = append(fixes, fmt.Sprintf("`helm uninstall %s -n %s`", b.name, b.namespace))
		} else {
			fixes = append(fixes, fmt.Sprintf("`kaji unlock %s`", b.name))
		}
	}
	counts := e.run.Error()
	var re *apply.RunError
	if errors.As(e.run, &re) {
		counts = fmt.Sprintf("%d release(s) failed, %d skipped", re.Failed, re.Skipped)
	}
	return fmt.Sprintf("%s: apply cannot change a release left pending by an operation that did not finish (%s), "+
		"and running it again will not help; if nothing is working on it any more, run %s, then `kaji apply` again",
		counts, strings.Join(names, ", "), strings.Join(fixes, ", then "))
}

func (e *pendingRunError) Unwrap() error { return e.run }

// pendingFirst turns a run's error into a pendingRunError when pending releases failed in it.
func pendingFirst(sum *apply.Summary, err error) error {
	if sum == nil || err == nil {
		return err
	}
	var blocked []*blockedError
	for _, o := range sum.Outcomes {
		var b *blockedError
		if errors.As(o.Err, &b) {
			blocked = append(blocked, b)
		}
	}
	if len(blocked) == 0 {
		return err
	}
	return &pendingRunError{blocked: blocked, run: err}
}
