package unused

import (
	"cmp"
	edit "kaji.dev/kaji/internal/suggest"
	"maps"
	"slices"
	"strings"
	"unicode"
)

// suggest returns the known key that the unknown key at p most likely means, or nil. It looks,
// best first, for: a sibling that differs only in case; a sibling one edit away (a typo or a
// transposition); the same key one level up or down; a sibling a few edits away; a sibling
// that shares its words (replicas and replicaCount); a sibling that p is a prefix of or
// extends; the same key further away; a key at another level one edit away; a key at another
// level that shares its words. Among keys at other levels, those that already hold the keys the
// user set below p, those that live code uses, and those below p's parent come first.
func suggest(m *chartModel, st *refState, vals map[string]any, p []string) []string {
	refs := m.refs.root
	parent, seg := p[:len(p)-1], p[len(p)-1]
	var best *suggestion
	consider := func(s suggestion) {
		if best == nil || s.less(*best) {
			best = &s
		}
	}
	for _, k := range knownChildren(m.static, refs, parent) {
		if k == seg {
			continue
		}
		if r, d, ok := siblingRank(seg, k); ok {
			consider(suggestion{rank: r, dist: d, path: concat(parent, k)})
		}
	}
	userKids := userChildren(vals, p)
	walkKnown(m.static, refs, nil, func(q []string) {
		if len(q) == 0 || slices.Equal(q[:len(q)-1], parent) || hasPrefix(q, p) {
			return
		}
		r, d, ok := elsewhereRank(seg, q[len(q)-1])
		if !ok {
			return
		}
		if r == rankMoved && abs(len(q)-len(p)) > 1 {
			r = rankMovedFar
		}
		kids := knownChildren(m.static, refs, q)
		overlap := 0
		for _, k := range userKids {
			if slices.Contains(kids, k) {
				overlap++
			}
		}
		consider(suggestion{
			rank: r, dist: d, path: slices.Clone(q), overlap: overlap,
			live: st.covering(q).live > 0, under: hasPrefix(q, parent),
		})
	})
	if best == nil {
		return nil
	}
	return best.path
}

// Ranks of suggestions, best first.
const (
	rankCase = iota
	rankTypo
	rankMoved
	rankFarTypo
	rankWords
	rankPrefix
	rankMovedFar
	rankMovedTypo
	rankMovedWords
)

type suggestion struct {
	rank, dist int
	path       []string
	// For keys at another level: how many of the user's keys below p the key has below it,
	// whether live code uses it, whether it is below p's parent.
	overlap int
	live    bool
	under   bool
}

func (s suggestion) less(o suggestion) bool {
	return cmp.Or(
		cmp.Compare(s.rank, o.rank),
		cmp.Compare(s.dist, o.dist),
		cmp.Compare(o.overlap, s.overlap),
		compareBool(o.live, s.live),
		compareBool(o.under, s.under),
		cmp.Compare(len(s.path), len(o.path)),
		slices.Compare(s.path, o.path),
	) < 0
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

// siblingRank ranks a known sibling k as a suggestion for seg.
func siblingRank(seg, k string) (rank, dist int, ok bool) {
	ls, lk := strings.ToLower(seg), strings.ToLower(k)
	if ls == lk {
		return rankCase, 0, true
	}
	if d := edit.Distance(ls, lk); d <= maxTypos(len([]rune(ls))) {
		if d == 1 {
			return rankTypo, d, true
		}
		return rankFarTypo, d, true
	}
	if sameWords(seg, k) {
		return rankWords, 0, true
	}
	if len(ls) >= 3 && len(lk) >= 3 && (strings.HasPrefix(lk, ls) || strings.HasPrefix(ls, lk)) {
		return rankPrefix, abs(len(lk) - len(ls)), true
	}
	return 0, 0, false
}

// elsewhereRank ranks a known key k at another level as a suggestion for seg.
func elsewhereRank(seg, k string) (rank, dist int, ok bool) {
	if seg == k {
		return rankMoved, 0, true
	}
	ls, lk := strings.ToLower(seg), strings.ToLower(k)
	if d := edit.Distance(ls, lk); d <= 1 && len(ls) >= 4 {
		return rankMovedTypo, d, true
	}
	if sameWords(seg, k) {
		return rankMovedWords, 0, true
	}
	return 0, 0, false
}

// maxTypos is how many edits a key of n characters may be off: 1 up to 4, 2 up to 8, a
// quarter beyond.
func maxTypos(n int) int {
	switch {
	case n <= 4:
		return 1
	case n <= 8:
		return 2
	}
	return n / 4
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// sameWords reports whether the words of one key are a subset of the other's, starting with
// the same word, after dropping plural s: replicas and replicaCount, serviceAccount and
// service_account_name.
func sameWords(a, b string) bool {
	wa, wb := words(a), words(b)
	if len(wa) == 0 || len(wb) == 0 || wa[0] != wb[0] {
		return false
	}
	small, big := wa, wb
	if len(small) > len(big) {
		small, big = big, small
	}
	for _, w := range small {
		if !slices.Contains(big, w) {
			return false
		}
	}
	return true
}

// words splits a key at case changes, digits and separators, lowercased, without plural s.
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			w := strings.ToLower(string(cur))
			if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
				w = w[:len(w)-1]
			}
			out = append(out, w)
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			flush()
			continue
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])):
			flush()
		case unicode.IsDigit(r) && i > 0 && !unicode.IsDigit(rs[i-1]):
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return out
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
			set[k] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// walkKnown calls fn with every key path the chart knows, parents first.
func walkKnown(st *staticNode, refs *refNode, p []string, fn func([]string)) {
	fn(p)
	set := map[string]bool{}
	if st != nil {
		for k := range st.kids {
			set[k] = true
		}
	}
	if refs != nil {
		for k := range refs.kids {
			set[k] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		walkKnown(st.child(k), refs.child(k), concat(p, k), fn)
	}
}

// userChildren lists the keys the user set below p.
func userChildren(vals map[string]any, p []string) []string {
	v, _ := lookup(vals, p)
	m, _ := v.(map[string]any)
	return slices.Sorted(maps.Keys(m))
}
