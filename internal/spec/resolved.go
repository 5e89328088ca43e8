package spec

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"kaji.dev/kaji/internal/ignore"
)

// Pos is a place in a source file. Line and Column count from 1; zero means unknown.
type Pos struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
}

// Problem is one mistake found in kaji.yaml.
type Problem struct {
	Pos Pos
	// Path is the field path, such as releases[2].needs[0].
	Path string
	// Message says what is wrong, lowercase, without a trailing period.
	Message string
	// Hint says what to do, such as "did you mean \"releases\"?". May be empty.
	Hint string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Pos.String())
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Hint != "" {
		b.WriteString(" (")
		b.WriteString(p.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Problems is every mistake found in one file, in source order. It is the error Load returns.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s) in kaji.yaml:\n  %s", len(ps), strings.Join(lines, "\n  "))
}

// Resolved is kaji.yaml with one environment applied: what apply and destroy work from.
type Resolved struct {
	// Project is the project name.
	Project string
	// Environment is the selected environment, or empty.
	Environment string
	// Dir is the directory of kaji.yaml; relative paths were resolved against it.
	Dir string
	// Cluster is the cluster after the environment's overrides; Kubeconfig is absolute or empty.
	Cluster Cluster
	// Repositories maps a repository name to its URL.
	Repositories map[string]string
	// Releases are in dependency order: every release comes after all it needs.
	// Among releases with no order between them, file order is kept. Releases that the
	// environment leaves out (enabled: false) are not among them.
	Releases []ResolvedRelease
	// Disabled are the releases that kaji.yaml declares but that this environment leaves out,
	// in file order: apply neither installs nor upgrades them, and an installed one is an
	// orphan.
	Disabled []DisabledRelease
}

// DisabledRelease is a declared release that an environment leaves out.
type DisabledRelease struct {
	Name      string
	Namespace string
	// Labels are the release's labels of kaji.yaml.
	Labels map[string]string
	// Reason says which enabled: false leaves it out, with its file:line, such as
	// "disabled in environment \"test\" (environments.test.releases.db.enabled at kaji.yaml:40)".
	Reason string
	// Pos is where the release is declared.
	Pos Pos
}

// ResolvedRelease is one release, ready to apply.
type ResolvedRelease struct {
	Name      string
	Namespace string
	// Chart is as written, except that a local path is made absolute.
	Chart string
	// ChartKind says whether Chart is a local path, repo/name or an oci:// reference.
	ChartKind ChartKind
	// Version is the exact version or constraint after the environment override.
	Version string
	// Values are the layers to merge over the chart's defaults, lowest precedence first:
	// valuesFiles, values, then the environment's valuesFiles and values.
	Values []ValuesLayer
	Needs  []string
	// Labels are the release's labels of kaji.yaml, which select it on the command line.
	Labels          map[string]string
	CreateNamespace bool
	// Wait is the release's own wait setting, or nil to follow the command line.
	Wait *bool
	// Timeout is the release's own timeout, or zero to follow the command line.
	Timeout time.Duration
	// MaxHistory is how many revisions Helm keeps; 0 keeps them all.
	MaxHistory int
	// ForceConflicts lets apply take fields that other field managers own.
	ForceConflicts bool
	// Ignore are the release's ignoreDifferences, the environment's after its own.
	Ignore ignore.Rules
	// CRDs is what apply does with the CRDs of the chart's crds/ directory.
	CRDs CRDMode
	// RollbackOnFailure is the release's own rollbackOnFailure, or nil to follow the command
	// line (--rollback-on-failure).
	RollbackOnFailure *bool
	// Adopt takes the release over when helm made it or another kaji project owns it, as
	// --adopt does for every release.
	Adopt bool
	// AcceptDroppedKeys are the keys, written with dots, that a change of chart version may
	// drop (acceptDroppedKeys of the release and of the environment).
	AcceptDroppedKeys []string
	// Pos is where the release is declared.
	Pos Pos
}

// DefaultMaxHistory is how many revisions of a release Helm keeps unless kaji.yaml says
// otherwise: the Helm CLI's --history-max default.
const DefaultMaxHistory = 10

// ValuesLayer is one source of values.
type ValuesLayer struct {
	// File is the absolute path of a values file; empty for inline values.
	File string
	// Inline holds the inline values when File is empty.
	Inline map[string]any
	// Origin is where the layer was declared in kaji.yaml.
	Origin Pos
}

// DisplayPath names a file the way kaji shows it: relative to kaji.yaml's directory when it
// is inside it, else as it is.
func (r *Resolved) DisplayPath(file string) string {
	rel, err := filepath.Rel(r.Dir, file)
	if err != nil || !filepath.IsLocal(rel) {
		return file
	}
	return rel
}
