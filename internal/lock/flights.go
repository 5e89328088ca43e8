package lock

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	coordinationv1 "k8s.io/api/coordination/v1"
)

// FlightsAnnotation is the lease annotation that lists the operations of the holder that may
// not have ended: a JSON list of flights.
const FlightsAnnotation = "kaji.dev/in-flight"

// Flight is a Helm operation that a run is about to make on a release: the revision it will
// create. A run records its flights in the lease before it starts them, and leaves there only
// those that did not end well. A pending revision named by a flight that the previous holder
// left is that run's own unfinished operation: nothing else can be working on it, since the
// lock is held, and another client would have created another revision.
type Flight struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Revision  int    `json:"revision"`
}

func (f Flight) String() string {
	return fmt.Sprintf("%s/%s revision %d", f.Namespace, f.Name, f.Revision)
}

// Left returns the flights that the previous holder left in the lease: the operations of a run
// that stopped (killed, or cut off from the API server) before it could say how they ended.
func (l *Lock) Left() []Flight { return slices.Clone(l.left) }

// Record writes flights into the lease, in one update, in place of what it held: call it
// before starting them. Flights that the previous holder left and this run does not take up
// are given up.
func (l *Lock) Record(ctx context.Context, flights []Flight) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.update(ctx, func(lease *coordinationv1.Lease) error { return setFlights(lease, flights) })
	if err != nil {
		return fmt.Errorf("record the releases this run changes in the project lock: %w", err)
	}
	l.flights = slices.Clone(flights)
	return nil
}

// Done takes flights that ended (or never started) off what Release leaves in the lease.
func (l *Lock) Done(flights ...Flight) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flights = slices.DeleteFunc(l.flights, func(f Flight) bool { return slices.Contains(flights, f) })
}

// flightsOf reads the flights of a lease. An annotation that does not parse was not written by
// kaji: it names no flight, and what it stands for is left to `kaji unlock`.
func flightsOf(lease *coordinationv1.Lease) []Flight {
	raw, ok := lease.Annotations[FlightsAnnotation]
	if !ok {
		return nil
	}
	var fs []Flight
	if json.Unmarshal([]byte(raw), &fs) != nil {
		return nil
	}
	return fs
}

// setFlights writes fs into lease, or removes the annotation when there is none.
func setFlights(lease *coordinationv1.Lease, fs []Flight) error {
	if len(fs) == 0 {
		delete(lease.Annotations, FlightsAnnotation)
		return nil
	}
	raw, err := json.Marshal(fs)
	if err != nil {
		return err
	}
	if lease.Annotations == nil {
		lease.Annotations = map[string]string{}
	}
	lease.Annotations[FlightsAnnotation] = string(raw)
	return nil
}
