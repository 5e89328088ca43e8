package plan

import (
	"fmt"
	"slices"
	"strings"

	"kaji.dev/kaji/internal/spec"
)

// UnknownReleaseError is a --release name that kaji.yaml does not declare.
type UnknownReleaseError struct {
	Name string
	// Hint is the declared name it most likely misspells; may be empty.
	Hint string
}

func (e *UnknownReleaseError) Error() string {
	msg := fmt.Sprintf("kaji.yaml declares no release %q", e.Name)
	if e.Hint != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Hint)
	}
	return msg
}

// selectReleases keeps the releases named in names, all of them when names is empty, in the
// order of rs.
func selectReleases(rs []spec.ResolvedRelease, names []string) ([]spec.ResolvedRelease, error) {
	if len(names) == 0 {
		return rs, nil
	}
	declared := make([]string, len(rs))
	for i, r := range rs {
		declared[i] = r.Name
	}
	for _, n := range names {
		if !slices.Contains(declared, n) {
			return nil, &UnknownReleaseError{Name: n, Hint: closest(n, declared)}
		}
	}
	var out []spec.ResolvedRelease
	for _, r := range rs {
		if slices.Contains(names, r.Name) {
			out = append(out, r)
		}
	}
	return out, nil
}

// closest returns the candidate that word most likely misspells, or "": the nearest by
// case-insensitive edit distance (a swap of two letters counts as one edit) if it is at most
// 1 for words of up to 3 characters, 2 up to 8 and a quarter of the length beyond; failing
// that, a candidate that word begins, if word has at least 3 characters.
func closest(word string, candidates []string) string {
	lw := strings.ToLower(word)
	limit := 1
	switch n := len([]rune(lw)); {
	case n > 8:
		limit = n / 4
	case n > 3:
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if d := distance(lw, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" && len(lw) >= 3 {
		for _, c := range candidates {
			if strings.HasPrefix(strings.ToLower(c), lw) {
				return c
			}
		}
	}
	return best
}

// distance is the optimal string alignment distance of a and b: insertions, deletions,
// substitutions and swaps of neighbours.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
