package plan

import (
	"fmt"
	"kaji.dev/kaji/internal/suggest"
	"slices"

	"kaji.dev/kaji/internal/spec"
)

// UnknownReleaseError is a --release name that kaji.yaml does not declare, or that the
// environment leaves out.
type UnknownReleaseError struct {
	Name string
	// Hint is the declared name it most likely misspells; may be empty.
	Hint string
	// Disabled says which enabled: false leaves the release out, when one does.
	Disabled string
}

func (e *UnknownReleaseError) Error() string {
	if e.Disabled != "" {
		return fmt.Sprintf("release %q is %s: there is nothing to plan", e.Name, e.Disabled)
	}
	msg := fmt.Sprintf("kaji.yaml declares no release %q", e.Name)
	if e.Hint != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Hint)
	}
	return msg
}

// selectReleases keeps the releases of res named in names, all of them when names is empty,
// in the order of res.
func selectReleases(res *spec.Resolved, names []string) ([]spec.ResolvedRelease, error) {
	rs := res.Releases
	if len(names) == 0 {
		return rs, nil
	}
	declared := make([]string, len(rs))
	for i, r := range rs {
		declared[i] = r.Name
	}
	for _, n := range names {
		if slices.Contains(declared, n) {
			continue
		}
		for _, d := range res.Disabled {
			if d.Name == n {
				return nil, &UnknownReleaseError{Name: n, Disabled: d.Reason}
			}
		}
		return nil, &UnknownReleaseError{Name: n, Hint: suggest.Closest(n, declared)}
	}
	var out []spec.ResolvedRelease
	for _, r := range rs {
		if slices.Contains(names, r.Name) {
			out = append(out, r)
		}
	}
	return out, nil
}
