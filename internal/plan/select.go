package plan

import (
	"strings"

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

// Scope says which releases of kaji.yaml a plan covers, as the command line picked them. The
// zero value is the whole project.
type Scope struct {
	// Names are the release names given, and Selectors the label selectors (-l) as written.
	Names     []string
	Selectors []string
	// SkipNeeds leaves out the releases that those picked need.
	SkipNeeds bool
	// Picked are the releases that Names and Selectors picked, and Needs those that come
	// along because the picked need them, each in kaji.yaml's order.
	Picked []string
	Needs  []string
}

// All reports whether the scope is the whole project.
func (s Scope) All() bool { return len(s.Names) == 0 && len(s.Selectors) == 0 }

// String says what the scope covers, for a plan's heading: "releases: a, b (+ needs: c)",
// or "selection -l team=x: a, b (+ needs: c)"; empty for the whole project.
func (s Scope) String() string {
	if s.All() {
		return ""
	}
	picked := strings.Join(s.Picked, ", ")
	if len(s.Needs) > 0 {
		picked += " (+ needs: " + strings.Join(s.Needs, ", ") + ")"
	}
	if len(s.Selectors) == 0 {
		return "releases: " + picked
	}
	var b strings.Builder
	b.WriteString("selection")
	for _, sel := range s.Selectors {
		b.WriteString(" -l " + sel)
	}
	for _, n := range s.Names {
		b.WriteString(" " + n)
	}
	return b.String() + ": " + picked
}
