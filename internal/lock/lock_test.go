package lock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	l, err := lock.Acquire(t.Context(), leases, opts(ns, "next@host"))
	if err != nil {
		t.Fatalf("take over a stale lock: %v", err)
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
