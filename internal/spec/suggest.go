package spec

import (
	"fmt"

	"kaji.dev/kaji/internal/suggest"
)

// didYouMean returns a hint naming the candidate closest to word, or "" when none is close.
func didYouMean(word string, candidates []string) string {
	if s := closest(word, candidates); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	return ""
}

// closest returns the candidate that word most likely misspells, or "" (see suggest.Closest).
func closest(word string, candidates []string) string {
	return suggest.Closest(word, candidates)
}
