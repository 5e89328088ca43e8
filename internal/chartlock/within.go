package chartlock

import (
	"context"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/spec"
)

// Within is a Locker for a run that covers some releases only (release names or -l on the
// command line): kaji.lock covers the selection. The releases of the selection load as the
// Locker loads them. Any other release, which validation still checks, loads at the pin
// kaji.lock has for it when one serves it, else at the version kaji.yaml gives: one that
// kaji.lock lacks, or pins for a version kaji.yaml no longer admits, stops nothing, and
// --lock=update does not pin it.
type Within struct {
	l     *Locker
	names map[string]bool
}

// Within returns l for a run of the releases named, which include those they need.
func (l *Locker) Within(names []string) *Within {
	w := &Within{l: l, names: map[string]bool{}}
	for _, n := range names {
		w.names[n] = true
	}
	return w
}

// Pin returns the pin that r loads (see Locker.Pin for the releases of the selection).
func (w *Within) Pin(ctx context.Context, r spec.ResolvedRelease) (*chart.Pin, error) {
	if w.names[r.Name] {
		return w.l.Pin(ctx, r)
	}
	return w.l.existing(r), nil
}

// Load loads the chart of r (see Locker.Load for the releases of the selection).
func (w *Within) Load(ctx context.Context, r spec.ResolvedRelease) (*chart.Loaded, error) {
	if w.names[r.Name] {
		return w.l.Load(ctx, r)
	}
	return w.l.loadAt(ctx, r, w.l.existing(r))
}

// existing returns the pin of kaji.lock that serves r, or nil: never an error, and never a
// new pin.
func (l *Locker) existing(r spec.ResolvedRelease) *chart.Pin {
	if r.ChartKind == spec.ChartLocal {
		return nil
	}
	loc, err := l.opts.Loader.Locate(r.Chart)
	if err != nil {
		return nil // loading the chart reports it
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur == nil {
		return nil
	}
	e, found := lookup(l.cur, Key{Release: r.Name, Environment: l.opts.Environment})
	if !found || serves(e, loc, r.Version) != "" {
		return nil
	}
	p := e.Pin()
	return &p
}
