package doctor

import (
	"fmt"
	"io"
	"strings"
)

// marks shows a status at the start of a finding's line.
var marks = map[Status]string{OK: "✓", Fail: "✗", Warn: "!", Skipped: "-", Unknown: "?"}

// WriteText writes the report for a person: one line per check, its evidence under it, and
// for findings that need one, the fix with its snippet and commands.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	head := "kaji doctor: "
	if r.Project != "" {
		head += "project " + r.Project + ", "
	}
	if r.Environment != "" {
		head += "environment " + r.Environment + ", "
	}
	b.WriteString(head + r.Target + "\n\n")
	width := 0
	for _, f := range r.Findings {
		width = max(width, len(f.Check))
	}
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "%s %-*s  %s: %s\n", marks[f.Status], width, f.Check, f.Status, f.Summary)
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "    · %s\n", e)
		}
		if f.Fix != nil && f.Status != OK && f.Status != Skipped {
			writeFix(&b, f.Fix)
		}
	}
	b.WriteString("\n" + r.summaryLine() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeFix(b *strings.Builder, f *Fix) {
	fmt.Fprintf(b, "    fix: %s\n", f.Summary)
	if s := f.Snippet; s != nil {
		if s.File != "" {
			fmt.Fprintf(b, "      # %s\n", s.File)
		}
		for _, line := range strings.Split(strings.TrimRight(s.Text, "\n"), "\n") {
			b.WriteString(strings.TrimRight("      "+line, " ") + "\n")
		}
	}
	for _, c := range f.Commands {
		if strings.HasPrefix(c, "#") {
			fmt.Fprintf(b, "      %s\n", c)
			continue
		}
		fmt.Fprintf(b, "      $ %s\n", c)
	}
}

// summaryLine counts the findings by status.
func (r Report) summaryLine() string {
	count := map[Status]int{}
	var failed []string
	for _, f := range r.Findings {
		count[f.Status]++
		if f.Status == Fail {
			failed = append(failed, f.Check)
		}
	}
	var parts []string
	for _, st := range []Status{Fail, Warn, Unknown, Skipped, OK} {
		if count[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
		}
	}
	line := "doctor: " + strings.Join(parts, ", ")
	if len(failed) > 0 {
		line += fmt.Sprintf("; broken: %s (fix the first one first: later links depend on it)", strings.Join(failed, ", "))
	}
	return line
}
