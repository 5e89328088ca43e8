package chart

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemo(t *testing.T) {
	var m memo[int]
	var calls atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			v, err := m.do(t.Context(), "k", func() (int, error) {
				calls.Add(1)
				<-release
				return 42, nil
			})
			if v != 42 || err != nil {
				t.Errorf("do = %d, %v; want 42", v, err)
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("fn ran %d times, want 1", n)
	}

	// A failure is kept, except one caused by the end of a context, which is retried.
	failing := errors.New("boom")
	for range 2 {
		if _, err := m.do(t.Context(), "fail", func() (int, error) { calls.Add(1); return 0, failing }); !errors.Is(err, failing) {
			t.Fatalf("err = %v", err)
		}
	}
	for range 2 {
		if _, err := m.do(t.Context(), "cancel", func() (int, error) { calls.Add(1); return 0, context.Canceled }); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
	}
	if n := calls.Load(); n != 1+1+2 {
		t.Errorf("fn ran %d times in all, want 4", n)
	}
}

func TestKeyLockHonoursContext(t *testing.T) {
	var k keyLock
	unlock, err := k.lock(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	other, err := k.lock(t.Context(), "b") // other keys are free
	if err != nil {
		t.Fatal(err)
	}
	other()

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := k.lock(ctx, "a"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lock of a held key = %v, want the context's error", err)
	}
	unlock()
	again, err := k.lock(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	again()
}
