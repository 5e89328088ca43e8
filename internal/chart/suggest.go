package chart

import (
	"cmp"
	"slices"
	"strings"
)

// closest returns up to n candidates that look like target, the closest first: those within a
// small edit distance, those that contain target or are contained in it, and those that share
// its first four characters.
func closest(target string, candidates []string, n int) []string {
	type scored struct {
		name string
		dist int
	}
	t := strings.ToLower(target)
	limit := max(2, len(t)/3)
	var hits []scored
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := levenshtein(t, lc)
		similar := d <= limit ||
			(len(t) >= 3 && (strings.Contains(lc, t) || strings.Contains(t, lc))) ||
			(len(t) >= 4 && len(lc) >= 4 && t[:4] == lc[:4])
		if similar {
			hits = append(hits, scored{c, d})
		}
	}
	slices.SortFunc(hits, func(a, b scored) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.name, b.name))
	})
	out := make([]string, 0, min(n, len(hits)))
	for _, h := range firstN(hits, n) {
		out = append(out, h.name)
	}
	return out
}

// levenshtein is the edit distance between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
