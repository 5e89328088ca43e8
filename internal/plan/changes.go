package plan

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"kaji.dev/kaji/internal/spec"
)

// dryRun is one object to send to the API server as a server-side apply dry run.
type dryRun struct {
	w     *work
	index int // into w.out.Changes
	o     object
	// force takes every field from other field managers, as apply does for CRDs.
	force bool
}

// planChanges fills in the object changes of every release: what apply creates, updates,
// deletes or leaves alone and, unless opts.SkipDiff, what the API server would make of each
// object that changes. Only objects that change are dry-run.
func (p *Planner) planChanges(ctx context.Context, works []*work, live *liveSet, opts Options) {
	var runs []dryRun
	for _, w := range works {
		switch {
		case w.out.Err != nil || w.out.Action == ActionBlocked:
		case w.out.Action == ActionNone || w.out.Action == ActionAdopt:
			for _, o := range w.base {
				w.out.Changes = append(w.out.Changes, ObjectChange{Object: o.ref, Action: ChangeUnchanged})
			}
		default:
			runs = append(runs, objectChanges(w, live, opts.Ignore)...)
		}
	}
	if !opts.SkipDiff {
		parallel(len(runs), opts.Requests, func(i int) {
			if ns := runs[i].o.u.GetNamespace(); live.absent[ns] {
				noNamespace(runs[i], ns)
				return
			}
			p.dryRun(ctx, runs[i], opts.Ignore)
		})
	}
	for _, w := range works {
		settleConflicts(w, opts.ForceConflicts)
	}
}

// objectChanges lists the changes of a release that apply installs or upgrades, and returns
// the dry runs they need.
func objectChanges(w *work, live *liveSet, ignore []FieldPath) []dryRun {
	r := w.out
	base := map[string]object{}
	for _, b := range w.base {
		base[b.ref.key()] = b
	}
	runs := w.crdChanges()
	for _, c := range w.crds {
		if r.Action == ActionInstall && c.mapping != nil && w.crdMode() == spec.CRDsCreate {
			if l, err := live.get(c); err == nil && l == nil {
				r.Changes = append(r.Changes, ObjectChange{Object: c.ref, Action: ChangeCreate,
					Planned: strip(c.u.Object, ignore), Note: "from the chart's crds/ directory, which helm installs before the templates"})
			}
		}
	}

	desired := map[string]bool{}
	for _, d := range w.desired {
		k := d.ref.key()
		desired[k] = true
		b, inBase := base[k]
		c := ObjectChange{Object: d.ref, Action: ChangeCreate}
		if inBase {
			c.Action = ChangeUpdate
		}
		if d.mapping == nil {
			w.arrivals.arrive(w, d, &c, ignore)
			r.Changes = append(r.Changes, c)
			continue
		}
		l, err := live.get(d)
		if err != nil {
			c.Err = err
			r.Changes = append(r.Changes, c)
			continue
		}
		if l == nil {
			c.Action, c.Missing = ChangeCreate, inBase
			c.Planned = strip(d.u.Object, ignore) // until the dry run says better
		} else {
			c.Action = ChangeUpdate
			c.Live = w.strip(l.Object, ignore)
			if !inBase {
				if err := ownershipError(l, w.spec.Name, w.spec.Namespace); err != nil {
					c.Err = err
					r.Changes = append(r.Changes, c)
					continue
				}
			}
			if inBase {
				c.Drift = markSensitive(b.ref, driftOfObject(applied(b, ignore), c.Live))
			}
			if inBase && reflect.DeepEqual(b.u.Object, d.u.Object) && len(c.Drift) == 0 {
				r.Changes = append(r.Changes, ObjectChange{Object: d.ref, Action: ChangeUnchanged, Settled: l.GetResourceVersion()})
				continue
			}
		}
		r.Changes = append(r.Changes, c)
		runs = append(runs, dryRun{w: w, index: len(r.Changes) - 1, o: d})
	}

	for _, b := range w.base {
		if desired[b.ref.key()] {
			continue
		}
		c := ObjectChange{Object: b.ref, Action: ChangeDelete}
		l, err := live.get(b)
		switch {
		case b.mapping == nil:
			c.Err = fmt.Errorf("helm cannot read revision %d of the release, which has this object: %w (helm-mapkubeapis can rewrite the revision)", w.hist.base().Version, b.err)
		case err != nil:
			c.Note = fmt.Sprintf("live object unknown: %v", err)
		case l == nil:
			c.Missing, c.Note = true, "already gone from the cluster"
		case l.GetAnnotations()[resourcePolicyAnno] == "keep":
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s is no longer in the chart, but helm keeps it (%s: keep)", b.ref, resourcePolicyAnno))
			continue
		default:
			c.Live = w.strip(l.Object, ignore)
		}
		r.Changes = append(r.Changes, c)
	}
	return runs
}

// dryRun asks the API server what the object would become, and compares that with the live
// object. A conflict with other field managers is noted (settleConflicts decides whether
// apply takes the fields), then the dry run is forced, to show what taking them changes.
func (p *Planner) dryRun(ctx context.Context, run dryRun, ignore []FieldPath) {
	c := &run.w.out.Changes[run.index]
	res, err := p.Objects.DryRunApply(ctx, run.o.mapping, run.o.u, run.force)
	if err != nil && apierrors.IsConflict(err) && !run.force {
		c.Conflicts = conflictsOf(err)
		res, err = p.Objects.DryRunApply(ctx, run.o.mapping, run.o.u, true)
	}
	if err != nil {
		if ns, ok := missingNamespace(err); ok {
			noNamespace(run, ns)
			return
		}
		c.Err = fmt.Errorf("server-side dry run: %w", err)
		return
	}
	c.Planned = run.w.strip(res.Object, ignore)
	if c.Live == nil {
		return
	}
	c.Diff = markSensitive(run.o.ref, diffObjects(c.Live, c.Planned))
	if len(c.Diff) == 0 {
		c.Action = ChangeUnchanged
	}
}

// noNamespace notes on run's change that its namespace ns does not exist, so that the API
// server cannot dry-run it: apply creates the namespace, or fails for want of it.
func noNamespace(run dryRun, ns string) {
	c := &run.w.out.Changes[run.index]
	if run.w.spec.CreateNamespace {
		c.Note = fmt.Sprintf("namespace %s does not exist yet: apply creates it; server defaults not shown", ns)
	} else {
		c.Err = fmt.Errorf("namespace %s does not exist: create it, or set createNamespace: true on the release in kaji.yaml", ns)
	}
}

// missingNamespace reports whether err says that the object's namespace does not exist.
func missingNamespace(err error) (string, bool) {
	var st apierrors.APIStatus
	if !errors.As(err, &st) || !apierrors.IsNotFound(err) {
		return "", false
	}
	d := st.Status().Details
	if d == nil || d.Kind != "namespaces" {
		return "", false
	}
	return d.Name, true
}
