package suggest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzClosest checks the distance and the suggester on arbitrary words: the distance is zero
// exactly for equal words, symmetric, at least the difference in length and at most the
// longer length (not a metric: optimal string alignment breaks the triangle inequality); a
// suggestion is one of the candidates, never the word itself, and close enough.
func FuzzClosest(f *testing.F) {
	for _, s := range [][3]string{
		{"replicas", "replica", "relicas"},
		{"repos", "repositories", "releases"},
		{"Image", "image", "images"},
		{"", "a", ""},
		{"ab", "ba", "abc"},
		{"naïve", "naive", "ñaive"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if len(a)+len(b)+len(c) > 512 {
			return // quadratic by design; names are short
		}
		dab, dba := Distance(a, b), Distance(b, a)
		if dab != dba {
			t.Fatalf("Distance(%q, %q) = %d but Distance(%q, %q) = %d", a, b, dab, b, a, dba)
		}
		if (dab == 0) != (a == b) && utf8.ValidString(a) && utf8.ValidString(b) {
			t.Fatalf("Distance(%q, %q) = %d", a, b, dab)
		}
		if n := max(utf8.RuneCountInString(a), utf8.RuneCountInString(b)); dab > n {
			t.Fatalf("Distance(%q, %q) = %d, more than the longer length %d", a, b, dab, n)
		}
		if diff := utf8.RuneCountInString(a) - utf8.RuneCountInString(b); dab < max(diff, -diff) {
			t.Fatalf("Distance(%q, %q) = %d, less than the difference in length", a, b, dab)
		}
		got := Closest(a, []string{b, c})
		if got == "" {
			return
		}
		if got != b && got != c || got == a {
			t.Fatalf("Closest(%q, [%q %q]) = %q", a, b, c, got)
		}
		la, lg := strings.ToLower(a), strings.ToLower(got)
		close := la == lg || Distance(la, lg) <= MaxDistance(utf8.RuneCountInString(la)) ||
			(len(la) >= 3 && strings.HasPrefix(lg, la))
		if !close {
			t.Fatalf("Closest(%q, [%q %q]) = %q, which is not close", a, b, c, got)
		}
	})
}
