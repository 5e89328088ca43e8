package cli

import (
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/pflag"

	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/spec"
)

// selectFlags pick the releases a command works on: names as arguments, -l selectors and
// --skip-needs.
type selectFlags struct {
	selectors []string
	skipNeeds bool
	// dependents says that the command removes releases (destroy): it takes what needs the
	// releases picked, not what they need.
	dependents bool
}

func (f *selectFlags) add(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&f.selectors, "selector", "l", nil,
		"pick the releases whose labels in kaji.yaml match, such as team=payments, tier!=db or team=a,tier (kubectl's syntax; repeatable: a release may match any)")
	if f.dependents {
		fs.BoolVar(&f.skipNeeds, "skip-needs", false, "leave alone the releases that need those picked (by default they go first)")
		return
	}
	fs.BoolVar(&f.skipNeeds, "skip-needs", false, "leave out the releases that those picked need (by default they come along)")
}

// selection is what args and the flags pick. A selector that does not parse is a usage error.
func (f *selectFlags) selection(args []string) (spec.Selection, error) {
	s := spec.Selection{Names: args, SkipNeeds: f.skipNeeds, Dependents: f.dependents}
	for _, text := range f.selectors {
		sel, err := spec.ParseSelector(text)
		if err != nil {
			return spec.Selection{}, &UsageError{Err: fmt.Errorf("-l: %w", err)}
		}
		s.Selectors = append(s.Selectors, sel)
	}
	return s, nil
}

// refusePrune refuses --prune with a selection: orphans are found over the whole project.
func refusePrune(prune bool, sel spec.Selection) error {
	if prune && !sel.All() {
		return &UsageError{Err: errors.New("--prune works on the whole project, and cannot be combined with release names or -l: run it without them")}
	}
	return nil
}

// narrow keeps in the session only the releases that sel picks, and returns their names;
// nil when sel picks every release. A name that kaji.yaml does not declare, or a selector
// that matches nothing, is a usage error.
func (s *session) narrow(sel spec.Selection) ([]string, error) {
	if sel.All() {
		return nil, nil
	}
	names, err := s.resolved.Select(sel)
	var unknown *spec.UnknownReleaseError
	var noMatch *spec.NoMatchError
	if errors.As(err, &unknown) || errors.As(err, &noMatch) {
		return nil, &UsageError{Err: err}
	}
	if err != nil {
		return nil, err
	}
	s.scope = scopeOf(s.resolved, sel, names)
	s.resolved = s.resolved.Only(names)
	return names, nil
}

// scopeOf says how sel picked names out of res, for a plan's heading.
func scopeOf(res *spec.Resolved, sel spec.Selection, names []string) plan.Scope {
	sc := plan.Scope{Names: sel.Names, SkipNeeds: sel.SkipNeeds, Picked: names}
	for _, l := range sel.Selectors {
		sc.Selectors = append(sc.Selectors, l.String())
	}
	if sel.SkipNeeds || sel.Dependents {
		return sc
	}
	only := sel
	only.SkipNeeds = true
	picked, err := res.Select(only)
	if err != nil {
		return sc
	}
	sc.Picked, sc.Needs = nil, nil
	for _, n := range names {
		if slices.Contains(picked, n) {
			sc.Picked = append(sc.Picked, n)
		} else {
			sc.Needs = append(sc.Needs, n)
		}
	}
	return sc
}

// releaseNames returns the names of rs, in their order.
func releaseNames(rs []spec.ResolvedRelease) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name
	}
	return out
}
