package lock_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/lock"
)

var (
	web = lock.Flight{Namespace: "apps", Name: "web", Revision: 3}
	api = lock.Flight{Namespace: "apps", Name: "api", Revision: 1}
	db  = lock.Flight{Namespace: "data", Name: "db", Revision: 7}
)

func TestTheNextRunSeesTheFlightsThatDidNotEnd(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	first, err := lock.Acquire(t.Context(), leases, opts(ns, "first@host"))
	if err != nil {
		t.Fatal(err)
	}
	if left := first.Left(); len(left) != 0 {
		t.Errorf("a fresh lock left %v", left)
	}
	if err := first.Record(t.Context(), []lock.Flight{web, api, db}); err != nil {
		t.Fatal(err)
	}
	first.Done(api, db)
	if err := first.Release(t.Context()); err != nil {
		t.Fatal(err)
	}

	second, err := lock.Acquire(t.Context(), leases, opts(ns, "second@host"))
	if err != nil {
		t.Fatal(err)
	}
	if left := second.Left(); !slices.Equal(left, []lock.Flight{web}) {
		t.Errorf("left after a run whose web did not end: %v, want only web", left)
	}
	// A run that records nothing leaves what it found.
	if err := second.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	third, err := lock.Acquire(t.Context(), leases, opts(ns, "third@host"))
	if err != nil {
		t.Fatal(err)
	}
	if left := third.Left(); !slices.Equal(left, []lock.Flight{web}) {
		t.Errorf("left after a run that recorded nothing: %v, want web still", left)
	}
	// A clean run leaves none.
	if err := third.Record(t.Context(), []lock.Flight{{Namespace: "apps", Name: "web", Revision: 4}}); err != nil {
		t.Fatal(err)
	}
	third.Done(lock.Flight{Namespace: "apps", Name: "web", Revision: 4})
	if err := third.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	lease, err := leases.Leases(ns).Get(t.Context(), lock.Name("shop"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := lease.Annotations[lock.FlightsAnnotation]; ok {
		t.Errorf("a clean run left %s=%s", lock.FlightsAnnotation, a)
	}
	fourth, err := lock.Acquire(t.Context(), leases, opts(ns, "fourth@host"))
	if err != nil {
		t.Fatal(err)
	}
	if left := fourth.Left(); len(left) != 0 {
		t.Errorf("left after a clean run: %v", left)
	}
	if err := fourth.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestATakeoverSeesTheFlightsOfTheStoppedRun(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	var fail atomic.Bool
	c := newStepper(time.Now())
	so := opts(ns, "stopped@host")
	so.Clock = c
	stopped, err := lock.Acquire(t.Context(), failingLeases{leases, &fail}, so)
	if err != nil {
		t.Fatal(err)
	}
	if err := stopped.Record(t.Context(), []lock.Flight{web, api}); err != nil {
		t.Fatal(err)
	}
	fail.Store(true) // the API server goes away: the run can neither renew nor say what ended
	c.tick(t)
	c.Step(c.next(t))
	<-stopped.Lost()
	stopped.Done(api)
	if err := stopped.Release(t.Context()); err == nil {
		t.Fatal("released a lock without a connection")
	}

	o := opts(ns, "next@host")
	o.Timeout = 10 * time.Second
	var took []lock.Holder
	o.OnTakeover = func(h lock.Holder) { took = append(took, h) }
	next, _, err := acquire(t, leases, newStepper(time.Now()), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(took) != 1 || took[0].Who != "stopped@host" {
		t.Errorf("takeovers %+v, want the stopped run's", took)
	}
	if left := next.Left(); !slices.Equal(left, []lock.Flight{web, api}) {
		t.Errorf("left by the stopped run: %v, want everything it recorded", left)
	}
	if err := next.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestRecordingDoesNotFightTheRenewals(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	c := newStepper(time.Now())
	o := opts(ns, "busy@host")
	// Renewed every 10s of c. A renewal's own timeout is real time (a third of the lease):
	// long, so that one queued behind the 20 records on a slow machine does not time out.
	o.Duration, o.Clock = 30*time.Second, c
	l, err := lock.Acquire(t.Context(), leases, o)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if err := l.Record(t.Context(), []lock.Flight{{Namespace: "apps", Name: "web", Revision: i}}); err != nil {
				t.Errorf("record %d: %v", i, err)
			}
		})
	}
	// Renewals go on while the records are written, and after: six of them, two leases long.
	for range 6 {
		c.tick(t)
	}
	wg.Wait()
	if err := l.Err(); err != nil {
		t.Fatalf("lock lost while recording: %v", err)
	}
	lease, err := leases.Leases(ns).Get(t.Context(), lock.Name("shop"), metav1.GetOptions{})
	if err != nil || lease.Spec.RenewTime == nil || !lease.Spec.RenewTime.Time.Equal(c.Now().Truncate(time.Microsecond)) {
		t.Fatalf("after recording, renewed at %v, %v; want at %v, the last renewal", lease.Spec.RenewTime, err, c.Now())
	}
	if err := l.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}
