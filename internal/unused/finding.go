package unused

import (
	"cmp"
	"slices"
	"strings"
)

// Kind says what is wrong with a key.
type Kind string

const (
	// UnknownKey is a key that the chart does not know and that changes nothing in the rendered
	// output: most likely a misspelling or a key at the wrong place.
	UnknownKey Kind = "unknown-key"
	// NoEffect is a key that the chart knows but that changes nothing in the rendered output
	// with the rest of the values as they are, usually because a feature is disabled.
	NoEffect Kind = "no-effect"
)

// Severity ranks findings.
type Severity string

const (
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Severity returns the severity of findings of kind k.
func (k Kind) Severity() Severity {
	if k == UnknownKey {
		return Warning
	}
	return Info
}

// Finding is one key that changes nothing.
type Finding struct {
	Kind     Kind
	Severity Severity
	// Path is the key the finding is about, as segments. It is one of the leaf paths the user
	// set or an ancestor of some of them: for an unknown key, the first segment the chart does
	// not know; for the contents of a free-form map, the map.
	Path []string
	// Leaves are the leaf paths the user set that the finding covers: Path and the leaves
	// below it.
	Leaves [][]string
	// Chart is the chart whose values hold Path: the chart's name, or a path such as
	// "prometheus/alertmanager" for a subchart.
	Chart string
	// Suggestion is, for an unknown key, the key the user most likely meant; nil when nothing
	// is close enough.
	Suggestion []string
	// Gate is, for a key without effect, the key whose value disables every use of it (such
	// as ingress.enabled, or a subchart's condition); nil when none was found.
	Gate []string
}

// PathString joins a key path with dots, the way most people write it.
func PathString(p []string) string { return strings.Join(p, ".") }

// sortFindings orders findings by path, segment by segment, then by kind.
func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(slices.Compare(a.Path, b.Path), cmp.Compare(a.Kind, b.Kind))
	})
}
