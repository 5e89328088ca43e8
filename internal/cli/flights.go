package cli

import (
	"cmp"
	"slices"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
)

// releaseFlights are the operations apply records in the project lock for one release before
// it starts: the revision it creates and, when it recovers a revision a stopped run left
// pending, that one too, until it is marked failed.
type releaseFlights struct {
	next      lock.Flight
	recovered *lock.Flight
}

// flightsOf are the operations of the releases apply installs or upgrades, by name. The
// revision each creates is the plan's, as Helm numbers it: 1 for a new release, the latest plus
// one for an upgrade or for an install over uninstalled history.
func flightsOf(pl *plan.Plan, steps map[string]apply.Step) map[string]releaseFlights {
	out := map[string]releaseFlights{}
	for name, st := range steps {
		r := pl.Release(name)
		if r == nil || st.InSync || st.Err != nil || r.Revision == 0 {
			continue
		}
		f := releaseFlights{next: lock.Flight{Namespace: r.Namespace, Name: r.Name, Revision: r.Revision}}
		if r.Recover && r.Current != nil {
			f.recovered = &lock.Flight{Namespace: r.Namespace, Name: r.Name, Revision: r.Current.Number}
		}
		out[name] = f
	}
	return out
}

// listFlights lists the flights to record, in a stable order.
func listFlights(fs map[string]releaseFlights) []lock.Flight {
	var out []lock.Flight
	for _, f := range fs {
		if f.recovered != nil {
			out = append(out, *f.recovered)
		}
		out = append(out, f.next)
	}
	slices.SortFunc(out, func(a, b lock.Flight) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Revision, b.Revision))
	})
	return out
}

// settle tells the lock which recorded operations ended, so that its release leaves only those
// that may have left a release pending. An operation that succeeded is done, with the revision
// it recovered. One that never started is done, but the revision it was to recover is still
// pending. A failed one stays: Helm may not have been able to record how it ended. A nil sum
// means that nothing started.
func settle(l *lock.Lock, fs map[string]releaseFlights, sum *apply.Summary) {
	ended := map[string]apply.Outcome{}
	if sum != nil {
		for _, o := range sum.Outcomes {
			ended[o.Namespace+"/"+o.Release] = o
		}
	}
	for _, f := range fs {
		o, ok := ended[f.next.Namespace+"/"+f.next.Name]
		switch {
		case ok && o.Err == nil && o.SkippedBecause == "":
			l.Done(f.next)
			if f.recovered != nil {
				l.Done(*f.recovered)
			}
		case !ok || o.SkippedBecause != "":
			l.Done(f.next)
		}
	}
}
