package render

import (
	"crypto/sha256"
	"fmt"
	"sync"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// cacheKey names one render: a chart (by identity) and a digest of the user's values.
type cacheKey struct {
	chart  *chartv2.Chart
	values [sha256.Size]byte
}

// valuesKey digests values with their Go types, so that 1 and 1.0 differ as they do in a
// template; fmt prints map keys sorted.
func valuesKey(vals map[string]any) ([sha256.Size]byte, error) {
	h := sha256.New()
	if _, err := fmt.Fprintf(h, "%#v", vals); err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("digest values: %w", err)
	}
	var k [sha256.Size]byte
	copy(k[:], h.Sum(nil))
	return k, nil
}

// resultCache remembers a bounded number of renders, oldest out first. Concurrent requests for
// the same key wait for one render.
type resultCache struct {
	size int

	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
	order   []cacheKey
}

type cacheEntry struct {
	done  chan struct{}
	files map[string]string
	err   error
}

func newResultCache(size int) *resultCache {
	return &resultCache{size: size, entries: map[cacheKey]*cacheEntry{}}
}

// get returns the remembered result for k, or computes it with fn.
func (c *resultCache) get(k cacheKey, fn func() (map[string]string, error)) (map[string]string, error) {
	if c.size < 0 {
		return fn()
	}
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		c.mu.Unlock()
		<-e.done
		return e.files, e.err
	}
	e := &cacheEntry{done: make(chan struct{})}
	c.entries[k] = e
	c.order = append(c.order, k)
	for len(c.order) > c.size {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	c.mu.Unlock()

	e.files, e.err = fn()
	close(e.done)
	return e.files, e.err
}
