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
	clocktesting "k8s.io/utils/clock/testing"

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

// stepper is the fake clock of one run: it says each time the run starts waiting on it, so
// that the test steps it only then, and knows that the run did what the step was for once it
// waits again.
type stepper struct {
	*clocktesting.FakeClock
	waits chan time.Duration
}

func newStepper(at time.Time) *stepper {
	return &stepper{FakeClock: clocktesting.NewFakeClock(at), waits: make(chan time.Duration, 1000)}
}

func (s *stepper) After(d time.Duration) <-chan time.Time {
	ch := s.FakeClock.After(d)
	s.waits <- d
	return ch
}

// next waits until the run waits on the clock, and returns for how long it waits.
func (s *stepper) next(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-s.waits:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("the run never waited on its clock")
		return 0
	}
}

// tick steps the clock by what the run waits for, once it waits, and returns once it waits
// again: its renewal, or its look at the lease, is done.
func (s *stepper) tick(t *testing.T) {
	t.Helper()
	s.Step(s.next(t))
	s.waitsAgain(t)
}

// waitsAgain waits until the run waits on its clock again, and leaves that wait to be taken by
// the next tick.
func (s *stepper) waitsAgain(t *testing.T) {
	t.Helper()
	s.waits <- s.next(t) // buffered: put it back for the next tick
}

type acquired struct {
	l   *lock.Lock
	err error
}

// acquire runs Acquire with the clock s, stepping s by the poll interval each time the run
// waits, until it returns; it returns the lock and how long the run waited by its clock.
// Acquire waits only by polls; a wait of another length is the renewal of the lock just taken,
// which may begin before the result is read: it is not stepped, and is left for a later tick.
func acquire(t *testing.T, leases coordclient.LeasesGetter, s *stepper, o lock.Options) (*lock.Lock, time.Duration, error) {
	t.Helper()
	o.Clock = s
	start := s.Now()
	res := make(chan acquired, 1)
	go func() {
		l, err := lock.Acquire(context.Background(), leases, o)
		res <- acquired{l, err}
	}()
	var renewal []time.Duration
	for {
		select {
		case r := <-res:
			for _, d := range renewal {
				s.waits <- d
			}
			return r.l, s.Since(start), r.err
		case d := <-s.waits:
			if d != o.Poll {
				renewal = append(renewal, d)
				continue
			}
			s.Step(d)
		case <-time.After(20 * time.Second):
			t.Fatal("acquire never returned")
		}
	}
}

func TestSecondRunWaitsThenFailsWithTheHolder(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	o := opts(ns, "alice@laptop")
	o.Clock = newStepper(time.Now())
	first, err := lock.Acquire(t.Context(), leases, o)
	if err != nil {
		t.Fatal(err)
	}
	h, err := lock.Inspect(t.Context(), leases, opts(ns, "anyone"))
	if err != nil || h == nil || h.Who != "alice@laptop" || h.Command != "apply" || h.Expired || len(h.Run) != 16 {
		t.Fatalf("inspect = %+v, %v", h, err)
	}

	var waits []lock.Holder
	o = opts(ns, "ci@runner")
	o.OnWait = func(h lock.Holder) { waits = append(waits, h) }
	_, waited, err := acquire(t, leases, newStepper(time.Now()), o)
	var held *lock.HeldError
	if !errors.As(err, &held) || held.Holder.Who != "alice@laptop" || held.Waited != 500*time.Millisecond || waited != held.Waited {
		t.Fatalf("second acquire after %s: %v", waited, err)
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
	second, waited, err := acquire(t, leases, newStepper(time.Now()), opts(ns, "ci@runner"))
	if err != nil || waited != 0 {
		t.Fatalf("acquire after release: waited %s, %v", waited, err)
	}
	if err := second.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestTheLockOfACrashedRunIsTakenOverOnceSeenUnchanged: a lease renewed a minute ago by its
// holder's clock is still watched for its whole duration before it is taken over, since that
// clock may be behind.
func TestTheLockOfACrashedRunIsTakenOverOnceSeenUnchanged(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	// What a kill -9'd run leaves: a holder that stopped renewing a minute ago.
	stale, _ := json.Marshal(lock.Holder{Who: "crashed@host", PID: 7, Version: "old", Command: "apply", Run: "0123456789abcdef"})
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
	o.Timeout = 10 * time.Second
	var took []lock.Holder
	o.OnTakeover = func(h lock.Holder) { took = append(took, h) }
	l, waited, err := acquire(t, leases, newStepper(time.Now()), o)
	if err != nil {
		t.Fatalf("take over a stale lock: %v", err)
	}
	if waited != 3*time.Second {
		t.Errorf("took the lock over after %s of its own clock, want the lease's 3s", waited)
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

// TestAReaderWhoseClockIsAheadWaitsWhileTheLockIsRenewed: the waiting run's clock is 40s ahead
// of the holder's, so that every renew time in the lease looks long past; it must go on
// waiting while the renewals go on, and take the lock over one lease duration after they
// stop.
func TestAReaderWhoseClockIsAheadWaitsWhileTheLockIsRenewed(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	now := time.Now()
	holderClock := newStepper(now)
	o := opts(ns, "holder@host")
	o.Clock = holderClock
	first, err := lock.Acquire(t.Context(), leases, o)
	if err != nil {
		t.Fatal(err)
	}

	readerClock := newStepper(now.Add(40 * time.Second))
	r := opts(ns, "ahead@host")
	r.Clock, r.Poll, r.Timeout = readerClock, time.Second, time.Minute
	// The reader's own lease, once it takes over, renews every 2s: a wait of 1s is a look.
	r.Duration = 6 * time.Second
	var took []lock.Holder
	r.OnTakeover = func(h lock.Holder) { took = append(took, h) }
	res := make(chan acquired, 1)
	go func() {
		l, err := lock.Acquire(context.Background(), leases, r)
		res <- acquired{l, err}
	}()
	// Ten seconds of a 3s lease, renewed every second: the reader looks once a second.
	for i := range 10 {
		readerClock.waitsAgain(t) // the reader looked and waits
		holderClock.tick(t)       // the holder renewed
		if h, err := lock.Inspect(t.Context(), leases, lock.Options{Namespace: ns, Project: "shop", Clock: readerClock}); err != nil || h == nil || !h.Expired {
			t.Fatalf("inspect by the reader's clock after %ds: %+v, %v; want the renew time to look stale", i+1, h, err)
		}
		readerClock.Step(readerClock.next(t))
	}
	readerClock.waitsAgain(t)
	select {
	case got := <-res:
		t.Fatalf("a reader 40s ahead took a lock that is being renewed: %v", got.err)
	default:
	}
	if err := first.Err(); err != nil {
		t.Fatalf("the holder lost its lock while renewing it: %v", err)
	}

	// The holder stops renewing (its clock stands still): the reader takes over after 3s of
	// its own clock, counted from when it last saw the lease change.
	var waited time.Duration
	var got acquired
	for done := false; !done; {
		select {
		case got = <-res:
			done = true
		case d := <-readerClock.waits:
			if d != r.Poll {
				continue // the renewal of the lock just taken, which may begin before res is read
			}
			readerClock.Step(d)
			waited += d
		case <-time.After(20 * time.Second):
			t.Fatal("the reader never took the lock over")
		}
	}
	if got.err != nil || waited != 3*time.Second {
		t.Fatalf("take over after %s unchanged: %v; want after the lease's 3s", waited, got.err)
	}
	if len(took) != 1 || took[0].Who != "holder@host" {
		t.Errorf("OnTakeover calls = %+v, want one naming the holder", took)
	}
	// The holder notices at its next renewal and gives the lock up.
	holderClock.Step(holderClock.next(t))
	select {
	case <-first.Lost():
	case <-time.After(20 * time.Second):
		t.Fatal("the holder did not notice the takeover")
	}
	if err := first.Err(); err == nil || !strings.Contains(err.Error(), "another run holds it") {
		t.Errorf("holder's lock error: %v", err)
	}
	if err := first.Release(t.Context()); err == nil || !strings.Contains(err.Error(), "took it over") {
		t.Errorf("release of a lock taken over: %v", err)
	}
	if err := got.l.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestRunsWithTheSameUserHostAndPIDAreTwoRuns: two containers, each kaji as pid 1 of the same
// user, have the same identity but for their run IDs.
func TestRunsWithTheSameUserHostAndPIDAreTwoRuns(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	o := opts(ns, "root@kaji")
	o.Me.PID = 1
	o.Clock = newStepper(time.Now())
	first, err := lock.Acquire(t.Context(), leases, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Clock = nil
	_, _, err = acquire(t, leases, newStepper(time.Now()), o)
	var held *lock.HeldError
	if !errors.As(err, &held) || held.Holder.Who != "root@kaji" || held.Holder.PID != 1 {
		t.Fatalf("a second run with the same user, host and pid: %v; want it to find the lock held", err)
	}
	if err := first.Err(); err != nil {
		t.Fatalf("the first run lost its lock: %v", err)
	}
	if err := first.Release(t.Context()); err != nil {
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
			time.Sleep(20 * time.Millisecond) // hold it a while, so that others try meanwhile
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

func TestInspectJudgesTheRenewTimeByTheReadersClock(t *testing.T) {
	ns := env.Namespace(t)
	leases := env.Client.CoordinationV1()
	o := opts(ns, "short@lease")
	o.Duration = 2500 * time.Millisecond // the Lease counts whole seconds: 3
	o.Clock = newStepper(time.Now())
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
		o.Clock = clocktesting.NewFakeClock(renewed.Add(d))
		return o
	}
	if h, err := lock.Inspect(t.Context(), leases, at(2900*time.Millisecond)); err != nil || h == nil || h.Expired {
		t.Errorf("2.9s after renewal: %+v, %v; want held", h, err)
	}
	if h, err := lock.Inspect(t.Context(), leases, at(3100*time.Millisecond)); err != nil || h == nil || !h.Expired {
		t.Errorf("3.1s after renewal: %+v, %v; want expired", h, err)
	}
	if err := first.Release(t.Context()); err != nil {
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
	c := newStepper(time.Now())
	o := opts(ns, "cut@off")
	o.Clock = c
	l, err := lock.Acquire(t.Context(), failingLeases{leases, &fail}, o)
	if err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	// Renewed every second of a 3s lease: the first failed renewal is tried again, since the
	// next try still lands before the lease expires.
	c.tick(t)
	select {
	case <-l.Lost():
		t.Fatalf("lost after one failed renewal: %v", l.Err())
	default:
	}
	// The second one is given up, while nobody else can take the lock yet.
	c.Step(c.next(t))
	select {
	case <-l.Lost():
	case <-time.After(20 * time.Second):
		t.Fatal("a lock that cannot be renewed was not lost")
	}
	look := opts(ns, "look@er")
	look.Clock = c
	if h, err := lock.Inspect(t.Context(), leases, look); err != nil || h == nil || h.Expired {
		t.Errorf("lease when the lock was lost: %+v, %v; want still held, not yet expired", h, err)
	}
	if err := l.Err(); !errors.Is(err, errUnreachable) {
		t.Errorf("lost lock error %v; want the renewal's cause", err)
	}
	if err := l.Release(t.Context()); !errors.Is(err, errUnreachable) {
		t.Errorf("release with no connection: %v", err)
	}
	// The lease stays behind unchanged: another run takes it over after the lease's 3s.
	next := opts(ns, "next@host")
	next.Timeout = 10 * time.Second
	nl, waited, err := acquire(t, leases, newStepper(time.Now()), next)
	if err != nil || waited != 3*time.Second {
		t.Fatalf("take over a lock left behind, after %s: %v", waited, err)
	}
	if err := nl.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}
