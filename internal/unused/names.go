package unused

import (
	"slices"
	"strings"
	"unicode"

	edit "kaji.dev/kaji/internal/suggest"
)

// Ranks of suggestions by how their name relates to the unknown key, best first. Keys under
// the same parent (siblings) come before keys at another level, except that the very same
// name one level up or down beats a sibling that is only loosely alike.
const (
	rankCase         = iota // a sibling that differs only in case
	rankTypo                // a sibling one edit away
	rankSynonym             // a sibling that other charts use for the same thing (synonyms.yaml)
	rankMoved               // the same name one level up or down
	rankFarTypo             // a sibling a few edits away
	rankWords               // a sibling that shares its words: replicas and replicaCount
	rankParentWords         // a sibling that repeats the parent's name: service.port, servicePort
	rankPrefix              // a sibling that the key is a prefix of, or extends
	rankMovedFar            // the same name further up or down
	rankMovedSynonym        // a synonym at another level
	rankMovedTypo           // a name one edit away at another level
	rankMovedWords          // the same words at another level
)

// siblingRank ranks a known sibling k as a suggestion for seg, whose parent key is named
// parent ("" at the top).
func siblingRank(parent, seg, k string) (rank, dist int, ok bool) {
	ls, lk := strings.ToLower(seg), strings.ToLower(k)
	if ls == lk {
		return rankCase, 0, true
	}
	d := edit.Distance(ls, lk)
	// In a name of three letters or fewer, one edit is a third of it: hpa and vpa are
	// different things, so a synonym comes first.
	if d == 1 && len([]rune(ls)) > 3 {
		return rankTypo, d, true
	}
	if synonyms().same(seg, k) {
		return rankSynonym, 0, true
	}
	if d <= maxTypos(len([]rune(ls))) && !swapsAWord(seg, k) {
		// d is 1 only for a short name here.
		return rankFarTypo, d, true
	}
	if sameWords(seg, k) {
		return rankWords, 0, true
	}
	if parent != "" && (repeatsParent(parent, seg, k) || repeatsParent(parent, k, seg)) {
		return rankParentWords, 0, true
	}
	if len(ls) >= 3 && len(lk) >= 3 && (strings.HasPrefix(lk, ls) || strings.HasPrefix(ls, lk)) {
		return rankPrefix, abs(len(lk) - len(ls)), true
	}
	return 0, 0, false
}

// elsewhereRank ranks a known key k at another level as a suggestion for seg; levels is how
// many levels apart they are.
func elsewhereRank(seg, k string, levels int) (rank, dist int, ok bool) {
	if seg == k {
		if levels > 1 {
			return rankMovedFar, 0, true
		}
		return rankMoved, 0, true
	}
	if synonyms().same(seg, k) {
		return rankMovedSynonym, 0, true
	}
	ls, lk := strings.ToLower(seg), strings.ToLower(k)
	if !mayMatch(ls, lk) {
		return 0, 0, false
	}
	if len(ls) >= 4 && abs(len(ls)-len(lk)) <= 1 {
		if d := edit.Distance(ls, lk); d <= 1 {
			return rankMovedTypo, d, true
		}
	}
	if slices.Equal(words(seg), words(k)) {
		return rankMovedWords, 0, true
	}
	return 0, 0, false
}

// mayMatch is a cheap test that rules out a and b being one edit apart or the same words:
// then one of the first two letters of one is one of the first two of the other (an edit
// changes, inserts, removes or swaps letters), or both start alike. It keeps a walk over every
// key of a large chart cheap.
func mayMatch(a, b string) bool {
	if len(a) < 2 || len(b) < 2 {
		return true
	}
	return a[0] == b[0] || a[1] == b[1] || a[0] == b[1] || a[1] == b[0]
}

// swapsAWord reports whether a and b have the same number of words and differ in a whole word
// rather than by a typo in one: retentionTime and retentionSize.
func swapsAWord(a, b string) bool {
	wa, wb := words(a), words(b)
	if len(wa) != len(wb) || len(wa) < 2 {
		return false
	}
	for i := range wa {
		if d := edit.Distance(wa[i], wb[i]); d >= 2 && d > len(wa[i])/3 {
			return true
		}
	}
	return false
}

// repeatsParent reports whether long is short prefixed with the parent's name, word by word:
// servicePort below service for port.
func repeatsParent(parent, short, long string) bool {
	return slices.Equal(words(long), append(words(parent), words(short)...))
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

// isToggle reports whether a key named k switches its parent on or off, so that it means
// nothing anywhere else.
func isToggle(k string) bool {
	switch strings.ToLower(k) {
	case "enabled", "enable", "disabled", "disable", "create":
		return true
	}
	return false
}
