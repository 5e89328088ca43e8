package lock_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"

	"kaji.dev/kaji/internal/lock"
)

// hangingLeases passes requests to the API server until hang is set; then every renewal
// hangs until its context ends, as on a network that drops packets, and says how long it was
// given.
type hangingLeases struct {
	coordclient.LeasesGetter
	hang  *atomic.Bool
	given chan time.Duration
}

func (h hangingLeases) Leases(ns string) coordclient.LeaseInterface {
	return hangingLease{h.LeasesGetter.Leases(ns), h}
}

type hangingLease struct {
	coordclient.LeaseInterface
	h hangingLeases
}

func (l hangingLease) Update(ctx context.Context, lease *coordinationv1.Lease, o metav1.UpdateOptions) (*coordinationv1.Lease, error) {
	if !l.h.hang.Load() {
		return l.LeaseInterface.Update(ctx, lease, o)
	}
	deadline, _ := ctx.Deadline()
	l.h.given <- time.Until(deadline)
	<-ctx.Done()
	return nil, ctx.Err()
}

// A renewal that hangs must not run into the last half period of the lease: by then the run
// must have been told that its lock is lost, so that it stops before another run can take the
// lock over. A try that ran to the lease's expiry left no time for that.
func TestARenewalThatHangsEndsBeforeTheLeaseExpires(t *testing.T) {
	ns := env.Namespace(t)
	var hang atomic.Bool
	leases := hangingLeases{env.Client.CoordinationV1(), &hang, make(chan time.Duration, 4)}
	c := newStepper(time.Now())
	o := opts(ns, "hang@up")
	o.Clock = c
	l, err := lock.Acquire(t.Context(), leases, o)
	if err != nil {
		t.Fatal(err)
	}
	hang.Store(true)
	// A 3s lease, renewed every second: the tries at 1s and 2s hang. The one at 2s may run
	// until 2.5s at most, half a period before the lease expires at 3s.
	for i, most := range []time.Duration{time.Second, 500 * time.Millisecond} {
		c.Step(c.next(t))
		given := <-leases.given
		if given > most+50*time.Millisecond {
			t.Errorf("renewal %d was given %s, want at most %s", i+1, given.Round(time.Millisecond), most)
		}
	}
	select {
	case <-l.Lost():
	case <-time.After(20 * time.Second):
		t.Fatal("a lock whose renewals hang was not lost")
	}
	if h, err := lock.Inspect(t.Context(), env.Client.CoordinationV1(), o); err != nil || h == nil || h.Expired {
		t.Errorf("lease when the lock was lost: %+v, %v; want still held, not yet expired", h, err)
	}
	hang.Store(false)
	_ = l.Release(t.Context()) // it reports the lost lock
}
