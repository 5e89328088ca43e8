package chart

import (
	"fmt"
	"slices"

	"github.com/Masterminds/semver/v3"
)

// checkConstraint reports a version that is neither empty, an exact version nor a constraint.
func checkConstraint(version string) error {
	if version == "" {
		return nil
	}
	if _, err := semver.NewConstraint(version); err != nil {
		return fmt.Errorf("version %q is not a version or a semver constraint "+
			"(write an exact version such as 1.2.3 or a constraint such as ^1.2): %w", version, err)
	}
	return nil
}

// isExact reports whether version names one version (strict semver) rather than a range.
func isExact(version string) bool {
	_, err := semver.StrictNewVersion(version)
	return err == nil
}

// matches reports whether the exact version v satisfies version, which is an exact version, a
// constraint, or empty (any version).
func matches(v, version string) bool {
	if version == "" || v == version {
		return true
	}
	c, err := semver.NewConstraint(version)
	if err != nil {
		return false
	}
	sv, err := semver.NewVersion(v)
	if err != nil {
		return false
	}
	return c.Check(sv)
}

// pickVersion returns the newest of versions that satisfies version: an exact match first, then
// the newest version within the constraint. An empty version picks the newest stable one.
func pickVersion(versions []string, version string) (string, bool) {
	if version != "" && slices.Contains(versions, version) {
		return version, true
	}
	c, err := semver.NewConstraint(version)
	if version == "" {
		c, err = semver.NewConstraint("*")
	}
	if err != nil {
		return "", false
	}
	var best *semver.Version
	var bestRaw string
	for _, raw := range versions {
		v, err := semver.NewVersion(raw)
		if err != nil || !c.Check(v) {
			continue
		}
		if best == nil || v.GreaterThan(best) {
			best, bestRaw = v, raw
		}
	}
	return bestRaw, best != nil
}

// newestFirst sorts versions newest first; strings that are not versions go last.
func newestFirst(versions []string) []string {
	out := slices.Clone(versions)
	slices.SortStableFunc(out, func(a, b string) int {
		va, errA := semver.NewVersion(a)
		vb, errB := semver.NewVersion(b)
		switch {
		case errA != nil && errB != nil:
			return 0
		case errA != nil:
			return 1
		case errB != nil:
			return -1
		}
		return vb.Compare(va)
	})
	return out
}
