package validate

import (
	"cmp"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"kaji.dev/kaji/internal/spec"
)

// Severity ranks findings. Only errors make validation fail.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Code says which check a finding comes from.
type Code string

const (
	// CodeSpec is a problem in kaji.yaml itself.
	CodeSpec Code = "spec"
	// CodeChart is a chart that cannot be found or loaded.
	CodeChart Code = "chart"
	// CodeValuesYAML is a values file that is not valid YAML, or not a mapping.
	CodeValuesYAML Code = "values-yaml"
	// CodeValues is values layers that cannot be merged.
	CodeValues Code = "values"
	// CodeSchema is a value that the chart's values.schema.json rejects.
	CodeSchema Code = "schema"
	// CodeRender is a chart that does not render: a template error, a failed required or
	// fail, or a chart that cannot be prepared (kubeVersion, dependencies).
	CodeRender Code = "render"
	// CodeManifest is a rendered document that is not a valid object, or an object rendered
	// twice.
	CodeManifest Code = "manifest"
	// CodeUnknownKey is a key the chart does not know and that changes nothing.
	CodeUnknownKey Code = "unknown-key"
	// CodeNoEffect is a key the chart knows but that changes nothing with the other values.
	CodeNoEffect Code = "no-effect"
	// CodeReference is a string that starts like a reference to a secret (ref+awsssm://,
	// ref+awssecrets://, secretref+) but cannot be read as one.
	CodeReference Code = "reference"
	// CodeDuplicateKey is a key written twice in the same mapping of a values file: Helm keeps
	// the last and drops the first without a word.
	CodeDuplicateKey Code = "duplicate-key"
	// CodeDroppedKey is a key that the version given with --against-version reads and the
	// version of kaji.yaml ignores: upgrading from it drops the setting.
	CodeDroppedKey Code = "dropped-key"
	// CodeAnalysis is an unused-key analysis that could not finish; it is a warning, because
	// the mistake, if any, is kaji's.
	CodeAnalysis Code = "analysis"
)

// Finding is one mistake, or one thing worth knowing, about a release or about kaji.yaml.
type Finding struct {
	Severity Severity
	Code     Code
	// Release is the release's name; empty for problems of kaji.yaml as a whole.
	Release string
	// Pos is where to look. File is kaji.yaml as it was given to Run, a values file joined to
	// kaji.yaml's directory as given (so relative to the working directory when kaji.yaml was
	// given relative to it), or, for render and manifest findings, the template path as Helm
	// names it (chart/templates/file.yaml). Line and Column are zero when unknown.
	Pos spec.Pos
	// Path is the values key the finding is about, as segments (keys may contain dots; list
	// indexes are decimal strings). For spec findings it is the field path in kaji.yaml. Empty
	// when the finding is not about a key.
	Path []string
	// Message says what is wrong, lowercase, on one line.
	Message string
	// Suggestion is, for an unknown key, the key most likely meant; nil when none.
	Suggestion []string
	// Gate is, for a key without effect, the key that disables it; nil when none was found.
	Gate []string
}

// Report is the result of a validation.
type Report struct {
	// Project and Environment are those of kaji.yaml; empty when kaji.yaml has problems.
	Project     string
	Environment string
	// Releases are the names of the releases checked, in the order of kaji.yaml.
	Releases []string
	// Findings are sorted: kaji.yaml's own first, then by release in the order of kaji.yaml,
	// then by file, line and column.
	Findings []Finding
}

// Count returns how many findings have severity s.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// HasErrors reports whether any finding is an error.
func (r *Report) HasErrors() bool { return r.Count(Error) > 0 }

// sortFindings orders findings by release (in the order given by rank; "" first), then file,
// line, column, and then by everything else so that the order never depends on timing.
func sortFindings(fs []Finding, rank map[string]int) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(releaseRank(a.Release, rank), releaseRank(b.Release, rank)),
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Code, b.Code),
			slices.Compare(a.Path, b.Path),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

func releaseRank(name string, rank map[string]int) int {
	if name == "" {
		return -1
	}
	if i, ok := rank[name]; ok {
		return i
	}
	return len(rank)
}

// specFindings turns the problems of kaji.yaml into findings.
func specFindings(ps spec.Problems) []Finding {
	out := make([]Finding, 0, len(ps))
	for _, p := range ps {
		msg := p.Message
		if p.Hint != "" {
			msg += " (" + p.Hint + ")"
		}
		out = append(out, Finding{
			Severity: Error, Code: CodeSpec, Pos: p.Pos, Path: fieldPath(p.Path), Message: oneLine(msg),
		})
	}
	return out
}

var fieldSegment = regexp.MustCompile(`^(?:\.?([A-Za-z0-9_-]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\])`)

// fieldPath splits a spec field path such as releases[2].values["a.b"] into segments:
// releases, 2, values, a.b. What it cannot parse becomes one segment.
func fieldPath(s string) []string {
	var out []string
	for rest := s; rest != ""; {
		m := fieldSegment.FindStringSubmatch(rest)
		if m == nil {
			return append(out, rest)
		}
		switch {
		case m[1] != "":
			out = append(out, m[1])
		case m[2] != "":
			out = append(out, m[2])
		default:
			k, err := strconv.Unquote(m[3])
			if err != nil {
				k = m[3]
			}
			out = append(out, k)
		}
		rest = rest[len(m[0]):]
	}
	return out
}

// oneLine joins the lines of a message with "; ", dropping blank ones and indentation.
func oneLine(s string) string {
	var parts []string
	for line := range strings.Lines(s) {
		if t := strings.TrimSpace(line); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "; ")
}

// KeyPath formats a key path for people: plain segments joined with dots, others quoted in
// brackets, as in controller.replicaCount or controller.podAnnotations["example.com/x"].
func KeyPath(p []string) string {
	var b strings.Builder
	for _, seg := range p {
		if plainSegment.MatchString(seg) {
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(seg)
			continue
		}
		b.WriteString("[" + strconv.Quote(seg) + "]")
	}
	return b.String()
}

var plainSegment = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

var digits = regexp.MustCompile(`^[0-9]+$`)

// PathString formats the finding's path for people: a values key as KeyPath does, a field of
// kaji.yaml as spec writes it, with list indexes in brackets (releases[0].values).
func (f Finding) PathString() string {
	if f.Code != CodeSpec {
		return KeyPath(f.Path)
	}
	var b strings.Builder
	for _, seg := range f.Path {
		switch {
		case digits.MatchString(seg):
			b.WriteString("[" + seg + "]")
		case plainSegment.MatchString(seg):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(seg)
		default:
			b.WriteString("[" + strconv.Quote(seg) + "]")
		}
	}
	return b.String()
}
