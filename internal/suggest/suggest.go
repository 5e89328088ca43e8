// Package suggest finds what a mistyped name most likely meant, for "did you mean" hints.
package suggest

import "strings"

// Closest returns the candidate that word most likely misspells, or "".
//
// A candidate that equals word ignoring case wins. Otherwise the candidate with the smallest
// Damerau-Levenshtein distance (optimal string alignment, case-insensitive) wins if the
// distance is at most MaxDistance of word's length. Failing that, a candidate that word is a
// prefix of (at least 3 characters) wins, so "repos" suggests "repositories". Ties go to the
// earlier candidate. word itself is never suggested.
func Closest(word string, candidates []string) string {
	if word == "" {
		return ""
	}
	lw := strings.ToLower(word)
	for _, c := range candidates {
		if c != word && strings.ToLower(c) == lw {
			return c
		}
	}
	best, bestDist := "", MaxDistance(len([]rune(lw)))+1
	for _, c := range candidates {
		if c == word {
			continue
		}
		if d := Distance(lw, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best
	}
	if len(lw) >= 3 {
		for _, c := range candidates {
			if c != word && strings.HasPrefix(strings.ToLower(c), lw) {
				return c
			}
		}
	}
	return ""
}

// MaxDistance is how many edits a word of n runes may be from what it means: 1 up to 3 runes,
// 2 up to 8, and a quarter of the length beyond.
func MaxDistance(n int) int {
	switch {
	case n <= 3:
		return 1
	case n <= 8:
		return 2
	default:
		return n / 4
	}
}

// Distance is the optimal string alignment distance between a and b: insertions, deletions,
// substitutions and transpositions of adjacent runes each cost 1.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
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
