package lock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

func opts(ns, who string) lock.Options {
	return lock.Options{
		Namespace: ns, Project: "shop",
		Me:       lock.Holder{Who: who, PID: 42, Version: "test", Command: "apply"},
		Duration: 3 * time.Second, Timeout: 500 * time.Millisecond, Poll: 50 * time.Millisecond,
	}
}

func TestSecondRunWaitsThenFailsWithTheHolder(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	first, err := lock.Acquire(t.Context(), leases, opts(ns, "alice@laptop"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := lock.Inspect(t.Context(), leases, opts(ns, "anyone"))
	if err != nil || h == nil || h.Who != "alice@laptop" || h.Command != "apply" || h.Expired {
		t.Fatalf("inspect = %+v, %v", h, err)
	}

	var waits []lock.Holder
	o := opts(ns, "ci@runner")
	o.OnWait = func(h lock.Holder) { waits = append(waits, h) }
	_, err = lock.Acquire(t.Context(), leases, o)
	var held *lock.HeldError
	if !errors.As(err, &held) || held.Holder.Who != "alice@laptop" || held.Waited < 500*time.Millisecond {
		t.Fatalf("second acquire: %v", err)
	}
	if len(waits) != 1 || waits[0].Who != "alice@laptop" {
		t.Errorf("OnWait calls = %+v, want one naming alice", waits)
	}

	if err := first.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	if h, err := lock.Inspect(t.Context(), leases, opts(ns, "anyone")); err != nil || h != nil {
		t.Fatalf("after release inspect = %+v, %v", h, err)
	}
	second, err := lock.Acquire(t.Context(), leases, opts(ns, "ci@runner"))
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	if err := second.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestTheLockOfACrashedRunIsTakenOver(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	// What a kill -9'd run leaves: a holder that stopped renewing a minute ago.
	stale, _ := json.Marshal(lock.Holder{Who: "crashed@host", PID: 7, Version: "old", Command: "apply"})
	id, secs := string(stale), int32(3)
	past := metav1.NewMicroTime(time.Now().Add(-time.Minute))
	_, err := leases.Leases(ns).Create(t.Context(), &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: lock.Name("shop")},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &id, LeaseDurationSeconds: &secs, AcquireTime: &past, RenewTime: &past},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := lock.Inspect(t.Context(), leases, opts(ns, "x"))
	if err != nil || h == nil || !h.Expired || h.Who != "crashed@host" {
		t.Fatalf("inspect of a stale lock = %+v, %v", h, err)
	}
	o := opts(ns, "next@host")
	var took []lock.Holder
	o.OnTakeover = func(h lock.Holder) { took = append(took, h) }
	l, err := lock.Acquire(t.Context(), leases, o)
	if err != nil {
		t.Fatalf("take over a stale lock: %v", err)
	}
	if len(took) != 1 || took[0].Who != "crashed@host" || took[0].PID != 7 || !took[0].Expired {
		t.Errorf("OnTakeover calls = %+v, want one naming the crashed run", took)
	}
	lease, err := leases.Leases(ns).Get(t.Context(), lock.Name("shop"), metav1.GetOptions{})
	if err != nil || lease.Spec.LeaseTransitions == nil || *lease.Spec.LeaseTransitions != 1 {
		t.Errorf("lease transitions after takeover: %+v, %v", lease.Spec.LeaseTransitions, err)
	}
	if err := l.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestTheLockIsRenewedWhileHeld(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	o := opts(ns, "long@run")
	o.Duration = 2 * time.Second
	l, err := lock.Acquire(t.Context(), leases, o)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // longer than the lease: only renewal keeps it
	h, err := lock.Inspect(t.Context(), leases, o)
	if err != nil || h == nil || h.Expired {
		t.Fatalf("after 3s of a 2s lease: %+v, %v", h, err)
	}
	if _, err := lock.Acquire(t.Context(), leases, opts(ns, "other@host")); err == nil {
		t.Fatal("took a lock that is being renewed")
	}
	if err := l.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestRunsHoldTheLockOneAtATime(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	var holding, peak, done atomic.Int32
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			o := opts(ns, fmt.Sprintf("run-%d@host", i))
			o.Timeout = 30 * time.Second
			l, err := lock.Acquire(context.Background(), leases, o)
			if err != nil {
				t.Errorf("run %d: %v", i, err)
				return
			}
			n := holding.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(20 * time.Millisecond)
			holding.Add(-1)
			if err := l.Release(context.Background()); err != nil {
				t.Errorf("run %d release: %v", i, err)
			}
			done.Add(1)
		})
	}
	wg.Wait()
	if peak.Load() != 1 || done.Load() != 10 {
		t.Errorf("peak holders %d, runs done %d: want 1 and 10", peak.Load(), done.Load())
	}
}

func TestALeaseExpiresAfterItsOwnDuration(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	o := opts(ns, "short@lease")
	o.Duration = 2500 * time.Millisecond // the Lease counts whole seconds: 3
	first, err := lock.Acquire(t.Context(), leases, o)
	if err != nil {
		t.Fatal(err)
	}
	lease, err := leases.Leases(ns).Get(t.Context(), lock.Name("shop"), metav1.GetOptions{})
	if err != nil || lease.Spec.LeaseDurationSeconds == nil || *lease.Spec.LeaseDurationSeconds != 3 {
		t.Fatalf("lease duration seconds: %+v, %v; want 3", lease.Spec.LeaseDurationSeconds, err)
	}
	renewed := lease.Spec.RenewTime.Time
	at := func(d time.Duration) lock.Options {
		o := opts(ns, "look@er")
		o.Now = func() time.Time { return renewed.Add(d) }
		return o
	}
	if h, err := lock.Inspect(t.Context(), leases, at(2900*time.Millisecond)); err != nil || h == nil || h.Expired {
		t.Errorf("2.9s after renewal: %+v, %v; want held", h, err)
	}
	if h, err := lock.Inspect(t.Context(), leases, at(3100*time.Millisecond)); err != nil || h == nil || !h.Expired {
		t.Errorf("3.1s after renewal: %+v, %v; want expired", h, err)
	}

	// A run whose clock is well past the expiry takes the lock over; the first run notices at
	// its next renewal and gives it up.
	next := opts(ns, "next@host")
	next.Now = func() time.Time { return time.Now().Add(10 * time.Second) }
	second, err := lock.Acquire(t.Context(), leases, next)
	if err != nil {
		t.Fatalf("take over after expiry: %v", err)
	}
	select {
	case <-first.Lost():
	case <-time.After(3 * time.Second):
		t.Fatal("the first run did not notice the takeover")
	}
	if err := first.Err(); err == nil || !strings.Contains(err.Error(), "another run holds it") {
		t.Errorf("first run's lock error: %v", err)
	}
	if err := first.Release(t.Context()); err == nil || !strings.Contains(err.Error(), "took it over") {
		t.Errorf("release of a lock taken over: %v", err)
	}
	if err := second.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// failingLeases passes requests to the API server until fail is set, as a connection to a
// cluster that goes away.
type failingLeases struct {
	coordclient.LeasesGetter
	fail *atomic.Bool
}

func (f failingLeases) Leases(ns string) coordclient.LeaseInterface {
	return failingLease{f.LeasesGetter.Leases(ns), f.fail}
}

type failingLease struct {
	coordclient.LeaseInterface
	fail *atomic.Bool
}

var errUnreachable = errors.New("dial tcp 127.0.0.1:6443: connect: connection refused")

func (f failingLease) Get(ctx context.Context, name string, o metav1.GetOptions) (*coordinationv1.Lease, error) {
	if f.fail.Load() {
		return nil, errUnreachable
	}
	return f.LeaseInterface.Get(ctx, name, o)
}

func (f failingLease) Update(ctx context.Context, l *coordinationv1.Lease, o metav1.UpdateOptions) (*coordinationv1.Lease, error) {
	if f.fail.Load() {
		return nil, errUnreachable
	}
	return f.LeaseInterface.Update(ctx, l, o)
}

func TestALockThatCannotBeRenewedIsLostBeforeItExpires(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	var fail atomic.Bool
	l, err := lock.Acquire(t.Context(), failingLeases{leases, &fail}, opts(ns, "cut@off"))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	fail.Store(true)
	select {
	case <-l.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("a lock that cannot be renewed was not lost")
	}
	elapsed := time.Since(start)
	// Given up after two failed renewals (every second of a 3s lease), while nobody else can
	// take it yet.
	if elapsed < 1500*time.Millisecond || elapsed >= 3*time.Second {
		t.Errorf("lost after %s; want after two failed renewals and before the 3s lease expires", elapsed)
	}
	if h, err := lock.Inspect(t.Context(), leases, opts(ns, "look@er")); err != nil || h == nil || h.Expired {
		t.Errorf("lease when the lock was lost: %+v, %v; want still held, not yet expired", h, err)
	}
	if err := l.Err(); !errors.Is(err, errUnreachable) {
		t.Errorf("lost lock error %v; want the renewal's cause", err)
	}
	if err := l.Release(t.Context()); !errors.Is(err, errUnreachable) {
		t.Errorf("release with no connection: %v", err)
	}
	// The lease stays behind and expires by itself: then another run takes it over.
	o := opts(ns, "next@host")
	o.Timeout = 10 * time.Second
	next, err := lock.Acquire(t.Context(), leases, o)
	if err != nil {
		t.Fatalf("take over a lock left behind: %v", err)
	}
	if err := next.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}
