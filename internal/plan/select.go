package plan

import (
	"fmt"
	"kaji.dev/kaji/internal/suggest"
	"slices"

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
			return nil, &UnknownReleaseError{Name: n, Hint: suggest.Closest(n, declared)}
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
