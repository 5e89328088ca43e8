package apply

import (
	"cmp"
	"context"
	"slices"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
)

// Flights is where a transaction records the Helm operations it starts, so that a run that
// stops without saying how they ended (killed, or cut off from the API server) leaves them for
// the next one: the project lock (*lock.Lock).
type Flights interface {
	// Left returns the flights that the previous holder left.
	Left() []lock.Flight
	// Record writes flights in place of what was recorded, before they start.
	Record(ctx context.Context, flights []lock.Flight) error
	// Done takes flights that ended, or never started, off what the lock keeps.
	Done(flights ...lock.Flight)
}

// releaseFlights are the operations apply records for one release before it starts: the
// revision it creates and, when it recovers a revision a stopped run left pending, that one
// too, until it is marked failed.
type releaseFlights struct {
	next      lock.Flight
	recovered *lock.Flight
}

// flightsOf are the operations of the releases apply installs or upgrades, by name. The
// revision each creates is the plan's, as Helm numbers it: 1 for a new release, the latest plus
// one for an upgrade or for an install over uninstalled history. A release the plan would
// recover but that this run refuses (conflicts) keeps only the revision left to recover, so
// that the lock still names it for the next run.
func flightsOf(pl *plan.Plan, steps map[string]Step) map[string]releaseFlights {
	out := map[string]releaseFlights{}
	for name, st := range steps {
		r := pl.Release(name)
		if r != nil && st.Err != nil && r.Recover && r.Current != nil {
			out[name] = releaseFlights{recovered: &lock.Flight{Namespace: r.Namespace, Name: r.Name, Revision: r.Current.Number}}
			continue
		}
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
		if f.next != (lock.Flight{}) {
			out = append(out, f.next)
		}
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
func settle(l Flights, fs map[string]releaseFlights, sum *Summary) {
	ended := map[string]Outcome{}
	if sum != nil {
		for _, o := range sum.Outcomes {
			ended[o.Namespace+"/"+o.Release] = o
		}
	}
	for _, f := range fs {
		if f.next == (lock.Flight{}) {
			continue // nothing ran: the revision to recover stays for the next run
		}
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
