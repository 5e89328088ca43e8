// Package secrets keeps the secret values of a run (resolved references, decrypted files) and
// hides them wherever kaji prints.
package secrets

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

// MinLength is the shortest value, in bytes, that a Registry redacts. Shorter values ("true",
// "8080", "admin") turn up in output by chance: in names, numbers, words of kaji's own text.
// Replacing every occurrence of them would garble what is printed, and hide nothing that a
// guess would not find anyway. Add does not take such a value in silence: it returns a
// *TooShortError, and Registry.TooShort lists them, so that the caller refuses the value or
// warns about it.
const MinLength = 6

// Registry holds the secret values of one run and what to print in their place. It is safe
// for concurrent use: a resolver adds values while output is being written.
type Registry struct {
	mu       sync.Mutex
	values   map[string]string // value → replacement
	tooShort []string          // labels of the values too short to redact
	// m is the matcher of the values added so far; it is replaced, never changed, on Add, so
	// that readers load it without the lock.
	m atomic.Pointer[formMatcher]
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{values: map[string]string{}}
}

// TooShortError says that a value was not registered because it is shorter than MinLength.
type TooShortError struct {
	Label string
	Len   int
}

func (e *TooShortError) Error() string {
	return fmt.Sprintf("secret %s is %d byte(s) long, too short to hide in output (at least %d): use a longer secret", e.Label, e.Len, MinLength)
}

// LabelRef is the label of a value resolved from a reference: "(secret: ref+awsssm://PATH)".
func LabelRef(ref string) string { return "(secret: " + ref + ")" }

// LabelFile is the label of a value decrypted from a file: "(secret from FILE)".
func LabelFile(path string) string { return "(secret from " + path + ")" }

// Add registers value as a secret, to be printed as label (see LabelRef and LabelFile) in
// every form it takes in output: as it is, base64-encoded, escaped in a JSON, YAML or Go
// string, URL-encoded, and each line of it when it has several. Characters of label that
// would break a JSON or YAML string around it (quotes, backslashes, control characters) are
// replaced by '_'. A value shorter than MinLength is not registered: Add returns a
// *TooShortError and TooShort lists its label.
func (r *Registry) Add(value, label string) error {
	label = cleanLabel(label)
	if len(value) < MinLength {
		r.mu.Lock()
		r.tooShort = append(r.tooShort, label)
		r.mu.Unlock()
		return &TooShortError{Label: label, Len: len(value)}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.values == nil {
		r.values = map[string]string{}
	}
	if _, ok := r.values[value]; ok {
		return nil
	}
	r.values[value] = label
	r.m.Store(newFormMatcher(r.values))
	return nil
}

// TooShort returns the labels of the values that Add refused as too short, in the order they
// were added.
func (r *Registry) TooShort() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.tooShort)
}

// Len returns how many values are registered.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.values)
}

// Redact returns s with every form of every registered value replaced by its label. Where
// the forms of several values overlap, the whole stretch is replaced by their labels.
func (r *Registry) Redact(s string) string {
	m := r.matcher()
	if m == nil {
		return s
	}
	var b strings.Builder
	m.scan(&b, s, len(s), true)
	return b.String()
}

// Contains reports whether s holds a registered value in any of the forms Redact replaces.
func (r *Registry) Contains(s string) bool {
	m := r.matcher()
	if m == nil {
		return false
	}
	for i := 0; i < len(s); i++ {
		if m.first[s[i]] && m.longestAt(s, i) >= 0 {
			return true
		}
	}
	return false
}

// matcher returns the current matcher, nil when nothing is registered.
func (r *Registry) matcher() *formMatcher {
	if r == nil {
		return nil
	}
	return r.m.Load()
}

// cleanLabel makes label safe to stand inside a quoted string of JSON, YAML or Go.
func cleanLabel(label string) string {
	if label == "" {
		return "(secret)"
	}
	return strings.Map(func(c rune) rune {
		if c == '"' || c == '\'' || c == '\\' || c == '`' || c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029 {
			return '_'
		}
		return c
	}, label)
}

// forms returns the strings that value can turn into on its way to output, each at least
// MinLength long.
func forms(value string) []string {
	set := map[string]bool{value: true}
	add := func(f string) {
		if len(f) >= MinLength {
			set[f] = true
		}
	}
	// Inside strings of JSON (Go's encoder escapes <, > and & unless told not to), Go (%q,
	// slog) and YAML (double- and single-quoted).
	add(jsonEscaped(value, true))
	add(jsonEscaped(value, false))
	add(unquote(strconv.Quote(value)))
	add(yamlDoubleQuoted(value))
	add(strings.ReplaceAll(value, "'", "''"))
	// In URLs: a query (space as +) and a path (space as %20).
	add(url.QueryEscape(value))
	add(url.PathEscape(value))
	// base64, as in a Secret's data or a ConfigMap's binaryData: the whole value, with and
	// without padding, and the part of its encoding that does not depend on its neighbours
	// when it is one piece of a longer encoded text, at each of the three byte alignments.
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		add(enc.EncodeToString([]byte(value)))
		raw := enc.WithPadding(base64.NoPadding)
		for pad := range 3 {
			e := raw.EncodeToString(append(make([]byte, pad), value...))
			from, to := (8*pad+5)/6, 8*(pad+len(value))/6
			add(e[from:to])
		}
	}
	// A value of several lines is printed a line at a time by diffs and YAML block scalars.
	if strings.ContainsAny(value, "\n") {
		for line := range strings.Lines(value) {
			add(strings.TrimSpace(line))
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	return out
}

func jsonEscaped(value string, escapeHTML bool) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(value); err != nil {
		return ""
	}
	return unquote(strings.TrimSuffix(b.String(), "\n"))
}

func yamlDoubleQuoted(value string) string {
	out, err := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: value})
	if err != nil {
		return ""
	}
	return unquote(strings.TrimSuffix(string(out), "\n"))
}

// unquote drops the quotes around s.
func unquote(s string) string {
	if len(s) >= 2 {
		return s[1 : len(s)-1]
	}
	return s
}

// formMatcher finds the forms of the registered values in text.
type formMatcher struct {
	forms  []string  // longest first
	labels []string  // labels[i] is what forms[i] is printed as
	first  [256]bool // whether a form starts with that byte
	// byFirst lists, for each first byte, the indexes of the forms that start with it,
	// longest first.
	byFirst [256][]int
}

func newFormMatcher(values map[string]string) *formMatcher {
	type entry struct{ form, label string }
	var entries []entry
	seen := map[string]bool{}
	for v, label := range values {
		for _, f := range forms(v) {
			if !seen[f] {
				seen[f] = true
				entries = append(entries, entry{f, label})
			}
		}
	}
	// Longest first; among forms of one length, a fixed order, so that output is the same
	// from run to run.
	slices.SortFunc(entries, func(a, b entry) int {
		if len(a.form) != len(b.form) {
			return len(b.form) - len(a.form)
		}
		return strings.Compare(a.form, b.form)
	})
	m := &formMatcher{}
	for i, e := range entries {
		m.forms = append(m.forms, e.form)
		m.labels = append(m.labels, e.label)
		m.first[e.form[0]] = true
		m.byFirst[e.form[0]] = append(m.byFirst[e.form[0]], i)
	}
	return m
}

// longestAt returns the index of the longest form that s holds at i, or -1.
func (m *formMatcher) longestAt(s string, i int) int {
	for _, f := range m.byFirst[s[i]] {
		if strings.HasPrefix(s[i:], m.forms[f]) {
			return f
		}
	}
	return -1
}

// pending returns where the longest tail of s that could be the start of a form begins:
// len(s) when no tail could be.
func (m *formMatcher) pending(s string) int {
	for p := max(0, len(s)-len(m.forms[0])+1); p < len(s); p++ {
		if !m.first[s[p]] {
			continue
		}
		for _, f := range m.byFirst[s[p]] {
			if len(m.forms[f]) > len(s)-p && strings.HasPrefix(m.forms[f], s[p:]) {
				return p
			}
		}
	}
	return len(s)
}

// scan writes s to b with every form replaced by its label, and returns where it stopped.
// It stops at the first position at or after stop that is not inside a replaced stretch.
// Unless final, s is not all the text (more may follow it): a stretch of overlapping forms
// that reaches stop may go on past the end of s, so scan stops at its start instead.
func (m *formMatcher) scan(b *strings.Builder, s string, stop int, final bool) int {
	i, plain := 0, 0
	for i < stop {
		if !m.first[s[i]] {
			i++
			continue
		}
		f := m.longestAt(s, i)
		if f < 0 {
			i++
			continue
		}
		// A stretch: forms that overlap one another, from i to end.
		end := i + len(m.forms[f])
		labels := []string{m.labels[f]}
		complete := true
		for j := i + 1; j < end; j++ {
			if !final && j >= stop {
				complete = false
				break
			}
			if !m.first[s[j]] {
				continue
			}
			if g := m.longestAt(s, j); g >= 0 && j+len(m.forms[g]) > end {
				end = j + len(m.forms[g])
				if !slices.Contains(labels, m.labels[g]) {
					labels = append(labels, m.labels[g])
				}
			}
		}
		if !complete {
			break
		}
		b.WriteString(s[plain:i])
		for _, l := range labels {
			b.WriteString(l)
		}
		i, plain = end, end
	}
	b.WriteString(s[plain:i])
	return i
}
