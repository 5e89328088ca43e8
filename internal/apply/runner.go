package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// Charts finds and loads the chart of a release.
type Charts interface {
	Chart(ctx context.Context, r spec.ResolvedRelease) (*chartv2.Chart, error)
}

// Releases performs Helm operations on single releases.
type Releases interface {
	Apply(ctx context.Context, d release.Desired) (release.Result, error)
	Uninstall(ctx context.Context, name, namespace string) (release.Result, error)
}

// Runner applies and destroys the releases of a resolved kaji.yaml.
type Runner struct {
	Charts   Charts
	Releases Releases
	// Observe receives progress events. Nil means no events.
	Observe Observer
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
}

// RunError is returned when one or more releases failed or were skipped.
type RunError struct {
	Failed, Skipped int
}

func (e *RunError) Error() string {
	return fmt.Sprintf("%d release(s) failed, %d skipped; fix the errors above and run again: kaji converges", e.Failed, e.Skipped)
}

type prepared struct {
	r      spec.ResolvedRelease
	chart  *chartv2.Chart
	values map[string]any
}

// Apply installs or upgrades every release in needs order. Every chart is loaded and every
// values layer merged before the first release is touched, so that a mistake in the last
// release costs nothing on the cluster. A release whose needs failed is skipped; the others go on.
func (rn *Runner) Apply(ctx context.Context, res *spec.Resolved) (*Summary, error) {
	preps := make([]prepared, 0, len(res.Releases))
	var errs []error
	for _, r := range res.Releases {
		p, err := rn.prepare(ctx, r)
		if err != nil {
			errs = append(errs, fmt.Errorf("release %s (%s): %w", r.Name, r.Pos, err))
			continue
		}
		preps = append(preps, p)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("nothing was applied: %w", errors.Join(errs...))
	}

	sum := &Summary{}
	broken := map[string]string{} // release name → why its dependents must not run
	for _, p := range preps {
		if err := ctx.Err(); err != nil {
			return sum, fmt.Errorf("interrupted before %s: %w", p.r.Name, err)
		}
		if why := blockedBy(p.r.Needs, broken); why != "" {
			broken[p.r.Name] = p.r.Name + ", which was skipped"
			sum.Outcomes = append(sum.Outcomes, rn.skip(p.r.Name, p.r.Namespace, "needs "+why))
			continue
		}
		o := rn.run(p.r.Name, p.r.Namespace, func() (release.Result, error) {
			return rn.Releases.Apply(ctx, release.Desired{
				Name: p.r.Name, Namespace: p.r.Namespace, Chart: p.chart, Values: p.values,
				CreateNamespace: p.r.CreateNamespace,
			})
		})
		if o.Err != nil {
			broken[p.r.Name] = p.r.Name + ", which failed"
		}
		sum.Outcomes = append(sum.Outcomes, o)
	}
	return sum, sum.err()
}

// Destroy uninstalls every release in reverse needs order. A release stays when something that
// needs it could not be uninstalled.
func (rn *Runner) Destroy(ctx context.Context, res *spec.Resolved) (*Summary, error) {
	sum := &Summary{}
	broken := map[string]string{}
	neededBy := map[string][]string{}
	for _, r := range res.Releases {
		for _, n := range r.Needs {
			neededBy[n] = append(neededBy[n], r.Name)
		}
	}
	for _, r := range slices.Backward(res.Releases) {
		if err := ctx.Err(); err != nil {
			return sum, fmt.Errorf("interrupted before %s: %w", r.Name, err)
		}
		if why := blockedBy(neededBy[r.Name], broken); why != "" {
			broken[r.Name] = r.Name + ", which was kept"
			sum.Outcomes = append(sum.Outcomes, rn.skip(r.Name, r.Namespace, "needed by "+why))
			continue
		}
		o := rn.run(r.Name, r.Namespace, func() (release.Result, error) {
			return rn.Releases.Uninstall(ctx, r.Name, r.Namespace)
		})
		if o.Err != nil {
			broken[r.Name] = r.Name + ", which could not be uninstalled"
		}
		sum.Outcomes = append(sum.Outcomes, o)
	}
	return sum, sum.err()
}

func (rn *Runner) prepare(ctx context.Context, r spec.ResolvedRelease) (prepared, error) {
	ch, err := rn.Charts.Chart(ctx, r)
	if err != nil {
		return prepared{}, err
	}
	vals, err := values.Merge(r.Values)
	if err != nil {
		return prepared{}, err
	}
	return prepared{r: r, chart: ch, values: vals}, nil
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

func (rn *Runner) emit(e Event) {
	if rn.Observe != nil {
		rn.Observe(e)
	}
}

func (rn *Runner) now() time.Time {
	if rn.Now != nil {
		return rn.Now()
	}
	return time.Now()
}

func (s *Summary) err() error {
	if f, k := s.Failed(), s.Skipped(); f+k > 0 {
		return &RunError{Failed: f, Skipped: k}
	}
	return nil
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
