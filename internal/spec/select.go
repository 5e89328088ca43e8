package spec

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// Selection says which releases of kaji.yaml a command works on: those it names, those its
// selectors match, and the releases these need, so that what they need is in place too. The
// zero Selection picks every release.
type Selection struct {
	// Names are release names, as given on the command line.
	Names []string
	// Selectors pick the releases whose labels match any of them. Each must match at least
	// one release.
	Selectors []labels.Selector
	// SkipNeeds keeps only the releases named or matched, without those they need (or, with
	// Dependents, without those that need them).
	SkipNeeds bool
	// Dependents adds the releases that need the ones picked, transitively, instead of those
	// they need: what destroy must remove first.
	Dependents bool
}

// All reports whether s picks every release: it names none and has no selector.
func (s Selection) All() bool {
	return len(s.Names) == 0 && len(s.Selectors) == 0
}

// UnknownReleaseError is a release name that kaji.yaml does not declare, or that the
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
		return fmt.Sprintf("release %q is %s: there is nothing to do with it", e.Name, e.Disabled)
	}
	msg := fmt.Sprintf("kaji.yaml declares no release %q", e.Name)
	if e.Hint != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Hint)
	}
	return msg
}

// maxLabelsShown bounds the label pairs that a NoMatchError lists.
const maxLabelsShown = 12

// NoMatchError is a selector that matches no release.
type NoMatchError struct {
	Selector string
	// Disabled are the releases it matches that the environment leaves out.
	Disabled []string
	// Labels are the label pairs that the releases have, key=value, sorted.
	Labels []string
}

func (e *NoMatchError) Error() string {
	msg := fmt.Sprintf("selector %q matches no release", e.Selector)
	switch {
	case len(e.Disabled) > 0:
		msg += fmt.Sprintf(": it matches only %s, which this environment leaves out", strings.Join(e.Disabled, ", "))
	case len(e.Labels) == 0:
		msg += ": no release of kaji.yaml has labels; give releases labels: {key: value}"
	case len(e.Labels) > maxLabelsShown:
		msg += fmt.Sprintf("; the labels of kaji.yaml include %s and %d more", strings.Join(e.Labels[:maxLabelsShown], ", "), len(e.Labels)-maxLabelsShown)
	default:
		msg += "; the labels of kaji.yaml are " + strings.Join(e.Labels, ", ")
	}
	return msg
}

// Select returns the names of the releases of r that s picks, in the order of r.Releases
// (dependency order): all of them when s picks every release. A name that r does not have is
// an *UnknownReleaseError, a selector that matches nothing a *NoMatchError.
func (r *Resolved) Select(s Selection) ([]string, error) {
	if s.All() {
		return r.names(), nil
	}
	picked := map[string]bool{}
	for _, n := range s.Names {
		if !slices.ContainsFunc(r.Releases, func(rr ResolvedRelease) bool { return rr.Name == n }) {
			return nil, r.unknownRelease(n)
		}
		picked[n] = true
	}
	for _, sel := range s.Selectors {
		matched := false
		for _, rr := range r.Releases {
			if sel.Matches(labels.Set(rr.Labels)) {
				picked[rr.Name], matched = true, true
			}
		}
		if !matched {
			return nil, r.noMatch(sel)
		}
	}
	switch {
	case s.SkipNeeds:
	case s.Dependents:
		// A release comes after all it needs: one pass in order reaches every dependent.
		for _, rr := range r.Releases {
			if slices.ContainsFunc(rr.Needs, func(n string) bool { return picked[n] }) {
				picked[rr.Name] = true
			}
		}
	default:
		// Backwards, every release is reached before those it needs.
		for _, rr := range slices.Backward(r.Releases) {
			if picked[rr.Name] {
				for _, n := range rr.Needs {
					picked[n] = true
				}
			}
		}
	}
	var out []string
	for _, rr := range r.Releases {
		if picked[rr.Name] {
			out = append(out, rr.Name)
		}
	}
	return out, nil
}

// Only returns a copy of r with only the releases named, in their order. Disabled is kept.
func (r *Resolved) Only(names []string) *Resolved {
	out := *r
	out.Releases = nil
	for _, rr := range r.Releases {
		if slices.Contains(names, rr.Name) {
			out.Releases = append(out.Releases, rr)
		}
	}
	return &out
}

func (r *Resolved) names() []string {
	out := make([]string, len(r.Releases))
	for i, rr := range r.Releases {
		out[i] = rr.Name
	}
	return out
}

func (r *Resolved) unknownRelease(name string) error {
	for _, d := range r.Disabled {
		if d.Name == name {
			return &UnknownReleaseError{Name: name, Disabled: d.Reason}
		}
	}
	return &UnknownReleaseError{Name: name, Hint: closest(name, r.names())}
}

func (r *Resolved) noMatch(sel labels.Selector) error {
	e := &NoMatchError{Selector: sel.String()}
	for _, d := range r.Disabled {
		if sel.Matches(labels.Set(d.Labels)) {
			e.Disabled = append(e.Disabled, d.Name)
		}
	}
	pairs := map[string]bool{}
	for _, rr := range r.Releases {
		for k, v := range rr.Labels {
			pairs[k+"="+v] = true
		}
	}
	e.Labels = sortedKeys(pairs)
	return e
}
