package apply

import (
	"context"
	"fmt"

	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// Planner plans a run; *plan.Planner is one.
type Planner interface {
	Plan(ctx context.Context, res *spec.Resolved, opts plan.Options) (*plan.Plan, error)
}

// Transaction is one `kaji apply` under the project lock: plan (recovering what a stopped run
// left pending), show the plan and ask, record the operations to come in the lock, run them
// (and record the lookups of releases in sync, recordLookups), settle the record, and prune. It never prints: Show and Confirm are the caller's.
type Transaction struct {
	Planner Planner
	Runner  *Runner
	// Flights is the project lock, which this run holds.
	Flights Flights
	// Check is given the plan once it is made, before it is shown and before anything is
	// changed: an error ends the run with nothing changed. kaji apply --plan passes one that
	// compares the plan with the saved one. Nil checks nothing.
	Check func(*plan.Plan) error
	// Show receives the plan once it is made (and checked), before anything is changed. Nil
	// shows nothing.
	Show func(*plan.Plan) error
	// Confirm is asked once the plan has something to do; false ends the run with nothing
	// changed (Result.Declined). Nil goes on without asking.
	Confirm func(context.Context, *plan.Plan) (bool, error)
}

// Result is what a transaction did.
type Result struct {
	Plan *plan.Plan
	// Summary has one outcome per release, prunes last; nil when nothing ran (nothing to do,
	// or declined).
	Summary *Summary
	// InSync says that the plan had nothing to do.
	InSync bool
	// Declined says that Confirm said no.
	Declined bool
}

// Run runs the transaction on res, planned with opts (Prune, Adopt, ForceConflicts, ForceCRDs;
// Recover is the flights the lock holds). The error is nil only when every release succeeded;
// a *PendingRunError when pending releases kept the run from converging.
func (tx *Transaction) Run(ctx context.Context, res *spec.Resolved, opts plan.Options) (*Result, error) {
	opts.Recover = tx.Flights.Left()
	pl, err := tx.Planner.Plan(ctx, res, opts)
	if err != nil {
		return nil, err
	}
	out := &Result{Plan: pl}
	// A plan that could not be computed in full is reported as such below, not as a saved
	// plan that went stale.
	if tx.Check != nil && pl.Err() == nil {
		if err := tx.Check(pl); err != nil {
			return out, err
		}
	}
	if tx.Show != nil {
		if err := tx.Show(pl); err != nil {
			return out, err
		}
	}
	if err := pl.Err(); err != nil {
		return out, fmt.Errorf("nothing was applied: %w", err)
	}
	if !pl.HasChanges() {
		out.InSync = true
		return out, nil
	}
	if tx.Confirm != nil {
		ok, err := tx.Confirm(ctx, pl)
		if err != nil {
			return out, err
		}
		if !ok {
			out.Declined = true
			return out, nil
		}
	}
	steps := stepsOf(res, pl)
	flights := flightsOf(pl, steps)
	if err := tx.Flights.Record(ctx, listFlights(flights)); err != nil {
		return out, fmt.Errorf("nothing was applied: %w", err)
	}
	sum, err := tx.Runner.ApplySteps(ctx, res, steps)
	tx.Runner.recordLookups(ctx, pl)
	settle(tx.Flights, flights, sum)
	if pruned := pl.Pruned(); err == nil && len(pruned) > 0 {
		// Orphans go last, once everything declared is in place.
		orphans := &spec.Resolved{Project: res.Project}
		for _, o := range pruned {
			orphans.Releases = append(orphans.Releases, spec.ResolvedRelease{Name: o.Name, Namespace: o.Namespace})
		}
		var ps *Summary
		ps, err = tx.Runner.Destroy(ctx, orphans)
		if ps != nil && sum != nil {
			sum.Outcomes = append(sum.Outcomes, ps.Outcomes...)
		}
	}
	out.Summary = sum
	return out, pendingFirst(sum, err)
}

// stepsOf turns the plan of each declared release into what the runner does with it.
func stepsOf(res *spec.Resolved, pl *plan.Plan) map[string]Step {
	steps := make(map[string]Step, len(pl.Releases))
	for _, r := range res.Releases {
		pr := pl.Release(r.Name)
		if pr == nil {
			continue
		}
		var blocked error
		if err := pr.Blocked(); err != nil {
			blocked = &BlockedError{Name: r.Name, Namespace: r.Namespace, Reason: err, Pending: pr.State == plan.StatePending,
				Uninstalling: pr.Current != nil && pr.Current.Status == "uninstalling"}
		}
		if err := pr.RefusedError(); err != nil {
			blocked = err
		}
		adopt, owner := 0, ""
		if pr.Action == plan.ActionAdopt && pr.Current != nil && blocked == nil {
			adopt, owner = pr.Current.Number, pr.Current.Project
		}
		steps[r.Name] = Step{
			InSync: !pr.NeedsApply() && adopt == 0 && blocked == nil,
			Adopt:  adopt, AdoptOwner: owner,
			Err:   blocked,
			Chart: pr.Loaded, Values: pr.Values,
			ForceConflicts: pr.ForceConflicts,
			Mode:           modeOf(pr),
			Recover:        pr.Recover,
			Stored:         pr.Stored,
			Inputs:         plan.InputsLabel(pr.Inputs, pr.Revision),
			Lookups:        pr.Lookups,
			Unchanged:      settled(pr),
		}
	}
	return steps
}

// settled are the objects of an upgrade that the plan found unchanged and without drift,
// which the upgrade may leave alone (release.Desired.Unchanged).
func settled(pr *plan.Release) map[release.ObjectKey]string {
	if pr.Action != plan.ActionUpgrade {
		return nil
	}
	var out map[release.ObjectKey]string
	for _, c := range pr.Changes {
		if c.Action != plan.ChangeUnchanged || c.Settled == "" {
			continue
		}
		if out == nil {
			out = map[release.ObjectKey]string{}
		}
		out[release.ObjectKey{Group: c.Object.Group, Kind: c.Object.Kind, Namespace: c.Object.Namespace, Name: c.Object.Name}] = c.Settled
	}
	return out
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
