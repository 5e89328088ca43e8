package view

import (
	"fmt"
	"io"
	"strings"

	"kaji.dev/kaji/internal/plan"
)

// CommentLimit is the most characters a GitHub comment may hold: Markdown keeps within it.
const CommentLimit = 65536

// MarkdownOptions change how a plan looks in Markdown.
type MarkdownOptions struct {
	// Context is the kubeconfig context the plan was made against, named in the heading.
	Context string
	// Limit is the most bytes the output may take; zero means CommentLimit. Bytes are never
	// fewer than characters, so output within Limit bytes is within Limit characters.
	Limit int
	// Redact replaces the run's secrets in a piece of output with their labels, before the
	// output is measured: a label may be longer than the value it stands for. Nil leaves the
	// output as it is.
	Redact func(string) string
}

// Markdown writes a plan for a pull request comment: a heading, a table of every release,
// then a collapsible section for each release that apply would change, refuse or fail on,
// with its diff. The values of Secrets are always hidden. The output stays within
// opts.Limit: when it would not, diffs are cut from the largest down and a note at the end
// names what was cut (see fit).
//
// Its first line is an HTML comment naming the project and environment, which a CI job can
// look for to update its earlier comment rather than add one.
func Markdown(w io.Writer, p *plan.Plan, opts MarkdownOptions) error {
	if opts.Limit == 0 {
		opts.Limit = CommentLimit
	}
	if opts.Redact == nil {
		opts.Redact = func(s string) string { return s }
	}
	doc := markdownBlocks(p, opts)
	_, err := io.WriteString(w, doc.fit(opts.Limit))
	return err
}

// MarkdownMarker is the first line of Markdown's output for the plan of project in
// environment: an HTML comment that GitHub does not show.
func MarkdownMarker(project, environment string) string {
	s := "<!-- kaji plan: project " + markerSafe(project)
	if environment != "" {
		s += ", environment " + markerSafe(environment)
	}
	return s + " -->"
}

// markdownBlocks splits the Markdown of a plan into the blocks that fit cuts.
func markdownBlocks(p *plan.Plan, opts MarkdownOptions) *mdDoc {
	d := &mdDoc{command: "plan", redact: opts.Redact}
	hide := opts.redactor()
	var head strings.Builder
	head.WriteString(MarkdownMarker(p.Project, p.Environment) + "\n")
	head.WriteString("### kaji plan: project " + mdCode(hide, p.Project))
	if p.Environment != "" {
		head.WriteString(", environment " + mdCode(hide, p.Environment))
	}
	if opts.Context != "" {
		head.WriteString(", context " + mdCode(hide, opts.Context))
	}
	if sc := p.Scope.String(); sc != "" {
		head.WriteString(", " + mdEsc(hide, sc))
	}
	head.WriteString("\n\n")
	if len(p.Releases) == 0 {
		head.WriteString("kaji.yaml declares no releases.\n")
		d.add(mdBlock{kind: mdFixed, text: head.String()})
	} else {
		head.WriteString("| Release | Namespace | Chart | State | Action | Changes |\n|---|---|---|---|---|---|\n")
		d.add(mdBlock{kind: mdFixed, text: head.String()})
		for _, r := range p.Releases {
			row := "| " + strings.Join([]string{mdCell(hide, r.Name), mdCell(hide, r.Namespace), mdCell(hide, chartOf(r)),
				mdCell(hide, string(r.State)), mdCell(hide, string(r.Action)), mdCell(hide, changeCounts(r))}, " | ") + " |\n"
			d.add(mdBlock{kind: mdRow, release: r.Name, text: row})
		}
	}
	var tail strings.Builder
	fmt.Fprintf(&tail, "\n**%s**\n", mdEsc(hide, Footer(p)))
	if h := p.Lock; h != nil {
		state := "a kaji run is changing the project now"
		if h.Expired {
			state = "renewed longer ago than its lease: that run looks stopped without releasing it"
		}
		fmt.Fprintf(&tail, "\n**Lock:** held by %s (%s)\n", mdEsc(hide, h.String()), state)
	}
	if len(p.Warnings) > 0 {
		tail.WriteString("\n")
		for _, w := range p.Warnings {
			fmt.Fprintf(&tail, "- **Warning:** %s\n", mdEsc(hide, w))
		}
	}
	d.add(mdBlock{kind: mdFixed, text: tail.String()})
	for _, r := range p.Releases {
		if !markdownShown(r) {
			continue
		}
		d.sections++
		section := d.sections
		d.add(mdBlock{kind: mdSectionHead, release: r.Name, section: section,
			text: "\n<details><summary>" + summaryHTML(hide, r) + "</summary>\n\n"})
		if details := releaseDetails(hide, r, p); details != "" {
			d.add(mdBlock{kind: mdDetails, release: r.Name, section: section, text: details,
				cut: "*Details cut to fit the comment.*\n\n"})
		}
		if diff := releaseDiff(r); diff != "" {
			d.add(mdBlock{kind: mdDiff, release: r.Name, section: section, text: fenced("diff", diff),
				cut: fmt.Sprintf("*Diff cut to fit the comment (%d lines).*\n\n", strings.Count(diff, "\n"))})
		}
		d.add(mdBlock{kind: mdSectionEnd, release: r.Name, section: section, text: "</details>\n"})
	}
	return d
}

// markdownShown says whether a release gets a section of its own: every release that is not
// in sync, and those in sync that have an error or a warning.
func markdownShown(r plan.Release) bool {
	return r.State != plan.StateInSync || r.Err != nil || len(r.Warnings) > 0 || r.Action != plan.ActionNone
}

// changeCounts is a release's object changes as "+1 ~2 -0", with "!1" for objects that
// apply would fail on; what stands in for them when there are none to count.
func changeCounts(r plan.Release) string {
	switch {
	case r.Err != nil:
		return "error"
	case r.Action == plan.ActionUninstall:
		return "uninstall"
	case r.State == plan.StateOrphan:
		return "kept"
	case r.Action == plan.ActionBlocked:
		return "blocked"
	}
	var add, change, del, failed int
	for _, c := range r.Changes {
		switch {
		case c.Err != nil:
			failed++
		case c.Action == plan.ChangeCreate:
			add++
		case c.Action == plan.ChangeUpdate:
			change++
		case c.Action == plan.ChangeDelete:
			del++
		}
	}
	s := fmt.Sprintf("+%d ~%d -%d", add, change, del)
	if failed > 0 {
		s += fmt.Sprintf(" !%d", failed)
	}
	return s
}

// summaryHTML is the one line a collapsed section shows: the text view's release header,
// in HTML, since GitHub renders no Markdown inside <summary>.
func summaryHTML(hide func(string) string, r plan.Release) string {
	h := releaseHeader(r)
	sym := symbol(r)
	if r.Action == plan.ActionUninstall {
		sym = "-"
		h = sym + " " + r.Name + " (" + r.Namespace + "): uninstall, as --prune says"
	}
	_, rest, _ := strings.Cut(h, "): ")
	return fmt.Sprintf("<code>%s</code> <b>%s</b> (%s): %s", mdHTML(hide, sym), mdHTML(hide, r.Name),
		mdHTML(hide, r.Namespace), mdHTML(hide, rest))
}

// releaseDetails is what a section says before its diff: why the release is in its state,
// then its errors, conflicts, hooks, warnings and ignored fields, which a cut diff leaves
// in place.
func releaseDetails(hide func(string) string, r plan.Release, p *plan.Plan) string {
	var b strings.Builder
	if r.Err == nil {
		fmt.Fprintf(&b, "%s\n\n", mdEsc(hide, reasonOf(r, p.Time)))
	}
	var items []string
	if r.Err != nil {
		items = append(items, "**Error:** "+mdEsc(hide, r.Err.Error()))
	}
	unchanged := 0
	for _, c := range r.Changes {
		if c.Action == plan.ChangeUnchanged && c.Err == nil {
			unchanged++
			continue
		}
		if c.Err != nil {
			items = append(items, fmt.Sprintf("**Error:** %s: %s", objectName(hide, c.Object), mdEsc(hide, c.Err.Error())))
		}
		for _, conflict := range c.Conflicts {
			items = append(items, fmt.Sprintf("**Conflict:** %s: %s (%s)", objectName(hide, c.Object), mdEsc(hide, conflict.String()), mdEsc(hide, verdict(r, conflict))))
		}
	}
	for _, h := range r.Hooks {
		items = append(items, mdEsc(hide, fmt.Sprintf("hook %s %s runs %s (not dry-run)", h.Kind, h.Name, strings.Join(h.Events, " and "))))
	}
	for _, w := range r.Warnings {
		items = append(items, "**Warning:** "+mdEsc(hide, w))
	}
	for _, f := range r.Ignored {
		items = append(items, fmt.Sprintf("ignored: %s %s (ignoreDifferences)", objectName(hide, f.Object), mdEsc(hide, f.Path)))
	}
	if unchanged > 0 {
		items = append(items, fmt.Sprintf("%d object(s) unchanged", unchanged))
	}
	for _, item := range items {
		fmt.Fprintf(&b, "- %s\n", item)
	}
	if len(items) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// releaseDiff is the diff of the objects that apply would change, as the text view prints it
// without colour, and without indent, so that GitHub colours its + and - lines. Secrets are
// always hidden. Errors and conflicts are in releaseDetails.
func releaseDiff(r plan.Release) string {
	var b strings.Builder
	for _, c := range r.Changes {
		if c.Err != nil || c.Action == plan.ChangeUnchanged {
			continue
		}
		name := c.Object.String()
		if c.Object.Namespace != "" {
			name += " (" + c.Object.Namespace + ")"
		}
		switch c.Action {
		case plan.ChangeCreate:
			if c.Missing {
				name += " (deleted from the cluster)"
			}
			b.WriteString("+ " + name + "\n")
		case plan.ChangeDelete:
			b.WriteString("- " + name + "\n")
			continue
		default:
			b.WriteString("~ " + name + "\n")
		}
		if c.Note != "" {
			b.WriteString("  " + c.Note + "\n")
		}
		for _, f := range c.Drift {
			b.WriteString("  drifted: " + driftText(c.Object, f, false) + "\n")
		}
		if isCRD(c.Object) {
			writeCRD(&b, c)
			continue
		}
		live, planned := redactObjects(c.Object, c.Live, c.Planned)
		b.WriteString(unified(toYAML(live), toYAML(planned), 3, "", painter(false)))
	}
	return b.String()
}

// objectName is an object in Markdown: "`Deployment.apps web` (apps)".
func objectName(hide func(string) string, ref plan.ObjectRef) string {
	s := mdCode(hide, ref.String())
	if ref.Namespace != "" {
		s += " (" + mdEsc(hide, ref.Namespace) + ")"
	}
	return s
}
