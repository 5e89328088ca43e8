package chart

import (
	"context"
	"sync"
)

// memo runs a function once per key and keeps its result, error included, for later callers.
// A result that failed because its context ended is forgotten, so a later caller retries.
type memo[T any] struct {
	mu    sync.Mutex
	calls map[string]*memoCall[T]
}

type memoCall[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// do returns the result of fn for key, calling fn only if no other call for key has run or is
// running. A caller that waits for another's call stops waiting when ctx ends.
func (m *memo[T]) do(ctx context.Context, key string, fn func() (T, error)) (T, error) {
	m.mu.Lock()
	if m.calls == nil {
		m.calls = map[string]*memoCall[T]{}
	}
	if c, ok := m.calls[key]; ok {
		m.mu.Unlock()
		select {
		case <-c.done:
			return c.val, c.err
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
	c := &memoCall[T]{done: make(chan struct{})}
	m.calls[key] = c
	m.mu.Unlock()

	c.val, c.err = fn()
	if c.err != nil && isContextErr(c.err) {
		m.mu.Lock()
		delete(m.calls, key)
		m.mu.Unlock()
	}
	close(c.done)
	return c.val, c.err
}

// keyLock is a set of mutexes, one per key, whose Lock can be abandoned when a context ends.
type keyLock struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

// lock waits until key is free, takes it, and returns the function that frees it.
func (k *keyLock) lock(ctx context.Context, key string) (unlock func(), err error) {
	for {
		k.mu.Lock()
		if k.held == nil {
			k.held = map[string]chan struct{}{}
		}
		ch, busy := k.held[key]
		if !busy {
			ch = make(chan struct{})
			k.held[key] = ch
			k.mu.Unlock()
			return func() {
				k.mu.Lock()
				delete(k.held, key)
				k.mu.Unlock()
				close(ch)
			}, nil
		}
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// withContext runs fn, which cannot be cancelled, and returns early with ctx's error when ctx
// ends first. fn then finishes in the background and its result is dropped.
func withContext[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type result struct {
		val T
		err error
	}
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	ch := make(chan result, 1)
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.val, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
