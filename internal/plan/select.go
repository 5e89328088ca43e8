package plan

import (
	"kaji.dev/kaji/internal/spec"
)

// UnknownReleaseError is a name of Options.Releases that kaji.yaml does not declare, or that
// the environment leaves out.
type UnknownReleaseError = spec.UnknownReleaseError

// selectReleases keeps the releases of res named in names, all of them when names is empty,
// in the order of res.
func selectReleases(res *spec.Resolved, names []string) ([]spec.ResolvedRelease, error) {
	if len(names) == 0 {
		return res.Releases, nil
	}
	if _, err := res.Select(spec.Selection{Names: names, SkipNeeds: true}); err != nil {
		return nil, err
	}
	return res.Only(names).Releases, nil
}
