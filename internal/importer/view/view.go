// Package view prints what kaji import did: a summary table for people, JSON for scripts.
package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"kaji.dev/kaji/internal/importer"
)

// APIVersion names the schema of `kaji import -o json`, documented in docs/import.md.
const APIVersion = "kaji.dev/import/v1alpha1"

// Document is `kaji import -o json`.
type Document struct {
	APIVersion string `json:"apiVersion"`
	*importer.Report
}

// JSON writes the report as one JSON document.
func JSON(w io.Writer, r *importer.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(Document{APIVersion: APIVersion, Report: r})
}

// Text writes the summary table, what needs attention, and what to run next.
func Text(w io.Writer, r *importer.Report) error {
	var b strings.Builder
	verb := "updated"
	if r.Created {
		verb = "created"
	}
	where := ""
	if r.Environment != "" {
		where = " (environment " + r.Environment + ")"
	}
	fmt.Fprintf(&b, "kaji import from the %s: %s %s%s\n\n", r.Source, verb, r.File, where)
	if len(r.Releases) == 0 {
		b.WriteString("No release found to import.\n")
	} else {
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RELEASE\tCHART\tVERSION\tDONE\tVALUES\tCHART SOURCE")
		for _, rel := range r.Releases {
			fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%s\t%s\t%s\n", rel.Namespace, rel.Name, rel.Chart, rel.Version, rel.Outcome, dash(rel.Values), dash(short(rel.Source)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Skipped) > 0 {
		b.WriteString("\nNot imported:\n")
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "  %s/%s: %s\n", s.Namespace, s.Name, s.Reason)
		}
	}
	attention(&b, r)
	if len(r.Written) > 0 {
		fmt.Fprintf(&b, "\nWritten: %s\n", strings.Join(r.Written, ", "))
	}
	if len(r.HandOver) > 0 {
		handOver(&b, r.HandOver)
	} else {
		next(&b, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// attention lists, release by release, what a person must look at.
func attention(b *strings.Builder, r *importer.Report) {
	var lines []string
	for _, rel := range r.Releases {
		if strings.HasPrefix(rel.Source, storedPrefix) {
			lines = append(lines, fmt.Sprintf("  %s: chart from %s", rel.Name, rel.Source))
		}
		for _, d := range rel.Differences {
			lines = append(lines, fmt.Sprintf("  %s: %s", rel.Name, d))
		}
		for _, n := range rel.Notes {
			lines = append(lines, "  "+rel.Name+": "+note(n))
		}
	}
	for _, n := range r.Notes {
		lines = append(lines, "  "+note(n))
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("\nTo look at:\n")
	b.WriteString(strings.Join(lines, "\n"))
	b.WriteString("\n")
}

func note(n importer.Note) string {
	s := n.Message
	if n.Where != "" {
		s = n.Where + ": " + s
	}
	if n.Blocking {
		s = "[must fix] " + s
	}
	return s
}

// next says what to run after the import.
func next(b *strings.Builder, r *importer.Report) {
	env := ""
	if r.Environment != "" {
		env = " --env " + r.Environment
	}
	b.WriteString("\nNext:\n")
	if r.Blocking > 0 {
		fmt.Fprintf(b, "  resolve the %d [must fix] item(s) above in %s, then\n", r.Blocking, r.File)
	}
	fmt.Fprintf(b, "  kaji validate%s   # offline: charts, values, typos\n", env)
	fmt.Fprintf(b, "  kaji plan%s       # every imported release should be in sync; made by helm, it is adopted\n", env)
	fmt.Fprintf(b, "  kaji apply%s      # labels adopted releases as this project's, without a new revision\n", env)
}

// storedPrefix starts the chart source of a release whose stored chart was written out.
const storedPrefix = "the chart stored in the release"

// short cuts a chart source to its first clause for the table.
func short(s string) string {
	if strings.HasPrefix(s, storedPrefix) {
		return "stored chart, written out"
	}
	if i := strings.IndexAny(s, ";("); i > 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// handOver prints the steps that move releases from another tool to kaji.
func handOver(b *strings.Builder, steps []importer.Step) {
	b.WriteString("\nHand-over, in this order (nothing is uninstalled if it is followed):\n")
	for i, s := range steps {
		fmt.Fprintf(b, "%d. %s\n", i+1, s.Title)
		for _, it := range s.Items {
			fmt.Fprintf(b, "     - %s\n", it)
		}
		for _, c := range s.Code {
			fmt.Fprintf(b, "       %s\n", c)
		}
		for _, c := range s.Commands {
			fmt.Fprintf(b, "     $ %s\n", c)
		}
	}
}
