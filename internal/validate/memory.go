package validate

import (
	"crypto/sha256"
	"fmt"
	"sync"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/digest"
	"kaji.dev/kaji/internal/spec"
)

// Key names everything the checks of one release read: its name and namespace (which
// templates can read), its chart's content, the bytes of its values files and its inline
// values, and the options that change what the checks find. Two releases with the same Key
// get the same findings, wherever they are in kaji.yaml, when they get none.
type Key [sha256.Size]byte

// Memory remembers the releases that validated without a finding, by Key, from one run to
// the next: a release whose Key it knows is not checked again. It is only a shortcut, so a
// Memory that cannot read or write says no and goes on. kaji's is internal/validcache, which
// also keys by the kaji binary.
type Memory interface {
	// Clean reports whether a release with key k validated without a finding before.
	Clean(k Key) bool
	// RememberClean records that a release with key k validated without a finding.
	RememberClean(k Key)
}

// keyFormat changes whenever what Key covers changes, so that keys of older code never match.
const keyFormat = "kaji validate key 2"

// key returns the Key of release r with chart ch (whose digest is chartSum), reading its
// values files again; ok is false when a file cannot be read (the checks say why) or when
// --against-version names r (the other version is not in the key).
func (v *validator) key(r spec.ResolvedRelease, chartSum [sha256.Size]byte) (Key, bool) {
	if _, ok := v.opts.AgainstVersions[r.Name]; ok {
		return Key{}, false
	}
	h := sha256.New()
	digest.Field(h, keyFormat)
	digest.Field(h, v.opts.KubeVersion)
	digest.Field(h, fmt.Sprint(v.opts.Strict))
	digest.Field(h, r.Name)
	digest.Field(h, r.Namespace)
	h.Write(chartSum[:])
	for _, l := range r.Values {
		if l.File == "" {
			digest.Field(h, "inline")
			// %#v writes maps sorted by key, and the Go types, so that 1 and "1" differ.
			digest.Field(h, fmt.Sprintf("%#v", l.Inline))
			continue
		}
		data, err := spec.ReadFile(l.File)
		if err != nil {
			return Key{}, false
		}
		digest.Field(h, "file")
		digest.Field(h, l.File)
		digest.Field(h, string(data))
	}
	var k Key
	copy(k[:], h.Sum(nil))
	return k, true
}

// chartSums digests each loaded chart once per run.
type chartSums struct {
	mu sync.Mutex
	m  map[*chartv2.Chart][sha256.Size]byte
}

// sum returns digest.Chart of ch, computed once per chart.
func (c *chartSums) sum(ch *chartv2.Chart) [sha256.Size]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[ch]; ok {
		return s
	}
	s := digest.Chart(ch)
	if c.m == nil {
		c.m = map[*chartv2.Chart][sha256.Size]byte{}
	}
	c.m[ch] = s
	return s
}
