package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/validate"
)

type validateFlags struct {
	output      string
	strict      bool
	kubeVersion string
	against     []string
}

func newValidateCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &validateFlags{output: "text"}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check kaji.yaml, its values and its charts without a cluster",
		Long: `Check kaji.yaml and everything it points to, offline, and report every mistake at
once: problems in kaji.yaml, values files that are not valid YAML, values that a chart's
values.schema.json rejects, templates that fail to render, rendered manifests that are not
valid objects or that repeat an object, and values keys that change nothing: keys the chart
does not know (unknown-key, with the key you most likely meant) and keys that other values
turn off (no-effect). Each finding points at the file:line:col of the key you wrote, in a
values file or in kaji.yaml.

No Kubernetes API server is contacted. Charts come from local paths or the chart cache, at
the versions kaji.lock pins when there is one (kaji lock --help); a remote chart that is not
cached yet is downloaded once. Charts render as helm template renders them. kaji apply
runs the same checks first.

A release that passed every check is remembered in the user cache directory
(kaji/validate), keyed by its name, namespace, chart content, values, these options and the
kaji binary, and is not checked again until one of them changes; a release with a finding
is always checked. KAJI_NO_VALIDATION_CACHE=1 checks everything.

Exit status: 0 when no finding is an error (warnings and info do not count); 1 when at
least one is, when validation cannot run (no kaji.yaml, an unknown --env), or when kaji is
called wrongly (such as an unknown --output). With --strict, unknown keys are errors.
The JSON format is described in docs/validate-json.md.

--against-version RELEASE=VERSION (repeatable) checks an upgrade before it is made:
it takes VERSION of the release's chart, from the chart cache or its repository, to
be the one deployed, and reports each key of kaji.yaml that VERSION reads and the
version in kaji.yaml ignores as a dropped-key error, as kaji plan does for an
upgrade. The chart must come from a repository or registry.`,
		Example: `  kaji validate
  kaji validate --env prod --strict
  kaji validate -o json | jq '.findings[] | select(.severity == "error")'
  kaji validate --against-version prometheus=18.4.0`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.output != "text" && f.output != "json" {
				return &UsageError{Err: fmt.Errorf("unknown output format %q: use -o text or -o json", f.output)}
			}
			against, err := againstVersions(f.against)
			if err != nil {
				return err
			}
			opts, err := g.validateCharts(validate.Options{KubeVersion: f.kubeVersion, Strict: f.strict, AgainstVersions: against})
			if err != nil {
				return err
			}
			rep, err := validate.Run(cmd.Context(), g.file, g.env, opts)
			if err != nil {
				return err
			}
			if f.output == "json" {
				if err := writeFindingsJSON(streams.Out, rep); err != nil {
					return err
				}
			} else {
				writeFindingsText(streams.Out, rep, colours(streams))
			}
			if rep.HasErrors() {
				return &silentError{code: ExitError}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", f.output, "output format: text or json")
	fl.BoolVar(&f.strict, "strict", false, "treat unknown values keys as errors")
	fl.StringVar(&f.kubeVersion, "kube-version", "", "Kubernetes version to render for, like helm template --kube-version (default: Helm's)")
	fl.StringArrayVar(&f.against, "against-version", nil, "RELEASE=VERSION: report the keys that VERSION of the release's chart reads and the version in kaji.yaml ignores (repeatable)")
	return cmd
}

// againstVersions parses the RELEASE=VERSION values of --against-version.
func againstVersions(args []string) (map[string]string, error) {
	if len(args) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, a := range args {
		name, version, ok := strings.Cut(a, "=")
		if !ok || name == "" || version == "" {
			return nil, &UsageError{Err: fmt.Errorf("--against-version %q: write RELEASE=VERSION, such as prometheus=18.4.0", a)}
		}
		out[name] = version
	}
	return out, nil
}

// preflight runs the checks of kaji validate before apply touches the cluster. It prints the
// findings, if any, to stderr, and stops apply when one of them is an error.
func preflight(ctx context.Context, g *globalFlags, streams Streams, op string, opts validate.Options) error {
	opts, err := g.validateCharts(opts)
	if err != nil {
		return err
	}
	rep, err := validate.Run(ctx, g.file, g.env, opts)
	if err != nil {
		return err
	}
	if len(rep.Findings) == 0 {
		return nil
	}
	writeFindingsText(streams.Err, rep, colours(streams))
	if rep.HasErrors() {
		fmt.Fprintf(streams.Err, "%s: nothing was changed; fix the errors above (kaji validate shows them again)\n", op)
		return &silentError{code: ExitError}
	}
	return nil
}

// jsonFindings is the JSON output of kaji validate, as docs/validate-json.md describes it.
type jsonFindings struct {
	Findings []jsonFinding `json:"findings"`
}

type jsonFinding struct {
	Severity   string   `json:"severity"`
	Code       string   `json:"code"`
	Release    string   `json:"release"`
	File       string   `json:"file"`
	Line       int      `json:"line"`
	Column     int      `json:"column"`
	Path       []string `json:"path"`
	Message    string   `json:"message"`
	Suggestion []string `json:"suggestion"`
	Gate       []string `json:"gate,omitempty"`
}

func writeFindingsJSON(w io.Writer, rep *validate.Report) error {
	out := jsonFindings{Findings: make([]jsonFinding, 0, len(rep.Findings))}
	for _, f := range rep.Findings {
		path := f.Path
		if path == nil {
			path = []string{}
		}
		out.Findings = append(out.Findings, jsonFinding{
			Severity: string(f.Severity), Code: string(f.Code), Release: f.Release,
			File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Column,
			Path: path, Message: f.Message, Suggestion: f.Suggestion, Gate: f.Gate,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write findings as JSON: %w", err)
	}
	return nil
}

// palette holds the escape sequences of the text output; all empty without colour.
type palette struct {
	bold, dim, reset string
	severity         map[validate.Severity]string
}

// colours returns the colours for streams: only on a terminal, and never when NO_COLOR is set
// to anything (https://no-color.org).
func colours(streams Streams) palette {
	if !streams.color() {
		return palette{}
	}
	return palette{
		bold: "\x1b[1m", dim: "\x1b[2m", reset: "\x1b[0m",
		severity: map[validate.Severity]string{
			validate.Error: "\x1b[1;31m", validate.Warning: "\x1b[33m", validate.Info: "\x1b[36m",
		},
	}
}

// writeFindingsText prints findings grouped by release, one a line, then a summary.
func writeFindingsText(w io.Writer, rep *validate.Report, p palette) {
	group := "\x00"
	for _, f := range rep.Findings {
		if f.Release != group {
			if group != "\x00" {
				fmt.Fprintln(w)
			}
			group = f.Release
			title := "kaji.yaml"
			if f.Release != "" {
				title = "release " + f.Release
			}
			fmt.Fprintf(w, "%s%s%s\n", p.bold, title, p.reset)
		}
		var b strings.Builder
		sev := string(f.Severity)
		fmt.Fprintf(&b, "  %s%s%s%s  %s%s%s  ", p.severity[f.Severity], sev, p.reset, strings.Repeat(" ", 7-len(sev)),
			p.dim, f.Pos, p.reset)
		if len(f.Path) > 0 {
			b.WriteString(f.PathString() + ": ")
		}
		b.WriteString(f.Message)
		switch {
		case f.Suggestion != nil:
			fmt.Fprintf(&b, "; did you mean %s?", validate.KeyPath(f.Suggestion))
		case f.Code == validate.CodeUnknownKey:
			b.WriteString("; no close key")
		}
		fmt.Fprintf(&b, " %s[%s]%s", p.dim, f.Code, p.reset)
		fmt.Fprintln(w, b.String())
	}
	if len(rep.Findings) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s, %s, %d info\n",
		plural(rep.Count(validate.Error), "error"), plural(rep.Count(validate.Warning), "warning"), rep.Count(validate.Info))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
