package unused

import (
	"cmp"
	"maps"
	"slices"
)

// suggest returns the known key that the unknown key at p most likely means, or nil when no
// key is close enough or when several are equally likely: a wrong suggestion is worse than
// none.
//
// Candidates are keys the chart reads (its templates, or Helm itself) and that its defaults,
// schemas or templates name. They come from two places. Under the same parent: a key that
// differs in case, a typo, a synonym that other charts use for the same thing, shared words,
// a prefix. At another level on the user's own path only: the same key (or a synonym, or a
// typo) one level up, or below the parent in a section, never in another component that
// merely shares the name. A key that switches its parent on or off (enabled, create) is never
// moved to another parent.
//
// Among keys at other levels, those in a section that the user's values already configure,
// those of the same chart or subchart, those that already know the keys the user set below p,
// and those that live code uses come first. A map whose keys the candidate does not know,
// and a map with a toggle that the candidate lacks, do not fit it.
func suggest(m *chartModel, st *refState, vals map[string]any, p []string) []string {
	parent, seg := p[:len(p)-1], p[len(p)-1]
	userVal, _ := lookup(vals, p)
	userMap, _ := userVal.(map[string]any)
	userKids := slices.Sorted(maps.Keys(userMap))
	refs := m.refs.root
	scope := m.scopeOf(p)
	var cands []suggestion

	parentName := ""
	if len(parent) > 0 {
		parentName = parent[len(parent)-1]
	}
	for _, k := range knownChildren(m.static, refs, parent) {
		if k == seg {
			continue
		}
		q := concat(parent, k)
		r, d, ok := siblingRank(parentName, seg, k)
		if !ok || !reads(m, st, q) {
			continue
		}
		cands = append(cands, suggestion{rank: r, dist: d, path: q, overlap: overlap(userKids, knownChildren(m.static, refs, q))})
	}

	if !isToggle(seg) {
		consider := func(q []string, levels int, configured bool) {
			r, d, ok := elsewhereRank(seg, q[len(q)-1], levels)
			if !ok {
				return
			}
			kids := knownChildren(m.static, refs, q)
			ov := overlap(userKids, kids)
			if !fitsShape(userKids, kids, ov, freeFormAt(m, q)) || !reads(m, st, q) {
				return
			}
			cands = append(cands, suggestion{
				rank: r, dist: d, path: slices.Clone(q), overlap: ov, levels: levels,
				configured: configured, sameChart: m.scopeOf(q) == scope, live: st.covering(q).live > 0,
			})
		}
		// Below the parent, in a section of it: the key is one level (or more) too high. The
		// section counts as configured when the user set keys in it.
		s, r := m.static, refs
		for _, k := range parent {
			s, r = s.child(k), r.child(k)
		}
		walkKnown(s, r, parent, func(q []string) {
			if len(q) <= len(parent)+1 {
				return
			}
			sec, _ := lookup(vals, q[:len(parent)+1])
			sm, _ := sec.(map[string]any)
			consider(q, len(q)-len(parent)-1, len(sm) > 0)
		})
		// Up the user's own path: the key is one level (or more) too low.
		for i := len(parent) - 1; i >= 0; i-- {
			for _, k := range knownChildren(m.static, refs, parent[:i]) {
				if k != parent[i] { // not a key that p is already below
					consider(concat(parent[:i], k), len(parent)-i, true)
				}
			}
		}
	}
	if len(cands) == 0 {
		return nil
	}
	slices.SortFunc(cands, suggestion.compare)
	best := cands[0]
	if len(cands) > 1 && best.rank >= rankSynonym && best.tiesWith(cands[1]) {
		return nil
	}
	return best.path
}

type suggestion struct {
	rank, dist int
	path       []string
	// overlap is how many of the user's keys below p the candidate knows below it.
	overlap int
	// For keys at other levels: how many levels away the parent is, whether the user's values
	// configure the section the key is in, whether it is in the same chart or subchart as p,
	// and whether live code uses it.
	levels                int
	configured, sameChart bool
	live                  bool
}

func (s suggestion) compare(o suggestion) int {
	return cmp.Or(
		cmp.Compare(s.rank, o.rank),
		cmp.Compare(s.dist, o.dist),
		compareBool(o.configured, s.configured),
		compareBool(o.sameChart, s.sameChart),
		cmp.Compare(o.overlap, s.overlap),
		compareBool(o.live, s.live),
		cmp.Compare(s.levels, o.levels),
		cmp.Compare(len(s.path), len(o.path)),
		slices.Compare(s.path, o.path),
	)
}

// tiesWith reports whether nothing but the order of names tells s and o apart.
func (s suggestion) tiesWith(o suggestion) bool {
	return s.rank == o.rank && s.dist == o.dist && s.configured == o.configured && s.sameChart == o.sameChart &&
		s.overlap == o.overlap && s.live == o.live && s.levels == o.levels
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// reads reports whether the chart reads the key at q: a template uses it, or a key above it
// as a whole, or Helm reads it.
func reads(m *chartModel, st *refState, q []string) bool {
	c := st.covering(q)
	return c.live+c.dead > 0 || helmReadBelow(m.static, q)
}

// overlap counts the user's keys that kids holds.
func overlap(user, kids []string) int {
	n := 0
	for _, k := range user {
		if _, ok := slices.BinarySearch(kids, k); ok {
			n++
		}
	}
	return n
}

// fitsShape reports whether a map the user wrote, with keys user, can be meant for a key that
// knows kids below it: it must know some of them, unless it takes any content; and it must
// know the toggle the user set.
func fitsShape(user, kids []string, overlap int, free bool) bool {
	if len(user) == 0 {
		return true
	}
	for _, k := range user {
		if isToggle(k) && !slices.Contains(kids, k) {
			return false
		}
	}
	return overlap > 0 || free || len(kids) == 0
}

// freeFormAt reports whether the key at q takes keys that the chart does not name.
func freeFormAt(m *chartModel, q []string) bool {
	n := m.static
	r := m.refs.root
	for _, k := range q {
		n, r = n.child(k), r.child(k)
	}
	return n.freeForm() || r != nil && r.has[useWhole]
}

// knownChildren lists the keys the chart knows below p, sorted.
func knownChildren(st *staticNode, refs *refNode, p []string) []string {
	s, r := st, refs
	for _, seg := range p {
		s, r = s.child(seg), r.child(seg)
	}
	set := map[string]bool{}
	if s != nil {
		for k := range s.kids {
			set[k] = true
		}
	}
	if r != nil {
		for k := range r.kids {
			if !isComputed(k) {
				set[k] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// walkKnown calls fn with every key path the chart knows below p, p included, parents first,
// in no particular order. fn must copy a path it keeps.
func walkKnown(st *staticNode, refs *refNode, p []string, fn func([]string)) {
	fn(p)
	if st != nil {
		for k, c := range st.kids {
			walkKnown(c, refs.child(k), append(p[:len(p):len(p)], k), fn)
		}
	}
	if refs != nil {
		for k, c := range refs.kids {
			if st.child(k) == nil && !isComputed(k) {
				walkKnown(nil, c, append(p[:len(p):len(p)], k), fn)
			}
		}
	}
}
