package unused

import (
	"cmp"
	"slices"
)

// refIndex holds every reference to .Values in a chart's templates, in the terms of the root
// chart's values, with the guard of the code around it. It is built once per chart.
type refIndex struct {
	root  *refNode
	nodes int
	occs  []occurrence
	// entries are the guards of walked named templates, which runs depends on their callers.
	entries []*guard
	// computed holds the names, split at their dots, that each computed segment stands for.
	computed map[string][][]string
}

// refNode is one key that the templates reference.
type refNode struct {
	id   int
	kids map[string]*refNode
	// has says how templates use the key, anywhere: read reads the key itself (its value,
	// truthiness or comparison); whole uses it with everything below (printing it, passing it
	// on, ranging over it); dyn looks below it by a computed name (index with a variable).
	has [useKinds]bool
	// probes are literals the templates compare the key with.
	probes []any
	// omits are the keys that every omit of this key drops: an omit uses the key whole but
	// for them.
	omits    map[string]bool
	omitSeen bool
}

// use is how a template uses a key.
type use int

const (
	useRead use = iota
	useWhole
	useDynamic
	// useOmit uses the key whole except the keys its omits drop.
	useOmit
	useKinds
)

// occurrence is one reference: a key, how it is used, the guard of the code around it, and
// how many references share these.
type occurrence struct {
	node  *refNode
	use   use
	guard *guard
	count int
}

func newRefIndex() *refIndex {
	return &refIndex{root: &refNode{}, nodes: 1, computed: map[string][][]string{}}
}

func (n *refNode) child(k string) *refNode {
	if n == nil {
		return nil
	}
	return n.kids[k]
}

// node returns the node at p, creating it and its ancestors.
func (x *refIndex) node(p []string) *refNode {
	n := x.root
	for _, k := range p {
		c, ok := n.kids[k]
		if !ok {
			if n.kids == nil {
				n.kids = map[string]*refNode{}
			}
			c = &refNode{id: x.nodes}
			x.nodes++
			n.kids[k] = c
		}
		n = c
	}
	return n
}

// at returns the node at p, or nil.
func (x *refIndex) at(p []string) *refNode {
	n := x.root
	for _, k := range p {
		if n = n.child(k); n == nil {
			return nil
		}
	}
	return n
}

// addProbe remembers a literal that a key is compared with, up to a few.
func (n *refNode) addProbe(v any) {
	if len(n.probes) >= 4 || slices.Contains(n.probes, v) {
		return
	}
	n.probes = append(n.probes, v)
}

// addOmit remembers the keys that one omit of the key drops; only those that every omit drops
// stay out of its whole use.
func (n *refNode) addOmit(keys map[string]bool) {
	if !n.omitSeen {
		n.omitSeen, n.omits = true, keys
		return
	}
	for k := range n.omits {
		if !keys[k] {
			delete(n.omits, k)
		}
	}
}

// wholeBelow reports whether a template uses the key with the child k: whole, or through an
// omit that keeps k.
func (n *refNode) wholeBelow(k string) bool {
	return n != nil && (n.has[useWhole] || n.has[useOmit] && !n.omits[k])
}

// probesAt returns the literals the templates compare the key at p with.
func (x *refIndex) probesAt(p []string) []any {
	if n := x.at(p); n != nil {
		return n.probes
	}
	return nil
}

// refState is the references of a chart in one configuration: for each key and use, how many
// references run (live) and how many sit in code that does not (dead), with the keys that
// turn that code off.
type refState struct {
	idx  *refIndex
	uses [][useKinds]uses // by node id
}

// uses counts live and dead references.
type uses struct {
	live, dead int
	gates      []gateCount
}

type gateCount struct {
	path  []string
	count int
}

func (u *uses) add(dead bool, gate []string, n int) {
	if !dead {
		u.live += n
		return
	}
	u.dead += n
	if gate == nil {
		return
	}
	for i := range u.gates {
		if slices.Equal(u.gates[i].path, gate) {
			u.gates[i].count += n
			return
		}
	}
	u.gates = append(u.gates, gateCount{path: gate, count: n})
}

// coverage sums the references that decide whether a key at some path matters.
type coverage struct {
	live, dead int
	gates      []gateCount
}

func (c *coverage) add(u uses) {
	c.live += u.live
	c.dead += u.dead
	for _, g := range u.gates {
		i := slices.IndexFunc(c.gates, func(h gateCount) bool { return slices.Equal(h.path, g.path) })
		if i < 0 {
			c.gates = append(c.gates, g)
			continue
		}
		c.gates[i].count += g.count
	}
}

// gate returns the key that disables most of the dead references: the one counted most, then
// the shortest, then the first in order.
func (c coverage) gate() []string {
	if len(c.gates) == 0 {
		return nil
	}
	best := slices.MinFunc(c.gates, func(a, b gateCount) int {
		return cmp.Or(cmp.Compare(b.count, a.count), cmp.Compare(len(a.path), len(b.path)), slices.Compare(a.path, b.path))
	})
	return best.path
}

// covering collects the coverage of the key at p: every use of p and of the keys below it,
// and the whole and dynamic uses of its ancestors.
func (st *refState) covering(p []string) coverage {
	var c coverage
	cur := st.idx.root
	for _, k := range p {
		c.add(st.uses[cur.id][useWhole])
		c.add(st.uses[cur.id][useDynamic])
		if !cur.omits[k] {
			c.add(st.uses[cur.id][useOmit])
		}
		if cur = cur.child(k); cur == nil {
			return c
		}
	}
	var below func(n *refNode)
	below = func(n *refNode) {
		for _, u := range st.uses[n.id] {
			c.add(u)
		}
		for _, k := range n.kids {
			below(k)
		}
	}
	below(cur)
	return c
}
