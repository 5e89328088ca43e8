package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"kaji.dev/kaji/internal/plan"
)

// StatusAPIVersion names the schema of StatusDocument, documented in docs/plan-json.md.
const StatusAPIVersion = "kaji.dev/status/v1alpha1"

// StatusDocument is `kaji status -o json`.
type StatusDocument struct {
	APIVersion  string              `json:"apiVersion"`
	Project     string              `json:"project"`
	Environment string              `json:"environment,omitempty"`
	Time        time.Time           `json:"time"`
	Releases    []StatusReleaseJSON `json:"releases"`
	Lock        *LockJSON           `json:"lock,omitempty"`
	Warnings    []string            `json:"warnings"`
}

// StatusReleaseJSON is one release's row.
type StatusReleaseJSON struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Chart     string `json:"chart,omitempty"`
	// DesiredVersion is the chart version kaji.yaml asks for; empty for orphans.
	DesiredVersion string `json:"desiredVersion,omitempty"`
	// DeployedVersion is the chart version of the highest deployed revision (what runs);
	// absent when no revision is deployed.
	DeployedVersion string `json:"deployedVersion,omitempty"`
	// Revision, Status and LastDeployed describe the latest revision in Helm's storage,
	// deployed or not; they are absent when there is none.
	Revision     int       `json:"revision,omitempty"`
	Status       string    `json:"status,omitempty"`
	LastDeployed time.Time `json:"lastDeployed,omitzero"`
	State        string    `json:"state"`
	Reason       string    `json:"reason"`
	Error        string    `json:"error,omitempty"`
}

// StatusText writes one row per release: name, namespace, chart, desired and deployed
// versions, revision, state and when it was last deployed.
func StatusText(w io.Writer, p *plan.Plan, color bool) error {
	pt := painter(color)
	var b strings.Builder
	t := &table{}
	t.add(cell{"NAME", bold}, cell{"NAMESPACE", bold}, cell{"CHART", bold}, cell{"DESIRED", bold}, cell{"DEPLOYED", bold},
		cell{"REVISION", bold}, cell{"STATE", bold}, cell{"LAST DEPLOYED", bold})
	for _, r := range p.Releases {
		row := statusRow(r)
		deployed, revision, last := orDash(row.DeployedVersion), "-", "-"
		if row.Revision > 0 {
			revision = fmt.Sprint(row.Revision)
		}
		if !row.LastDeployed.IsZero() {
			last = Age(p.Time.Sub(row.LastDeployed)) + " ago"
		}
		t.add(plain(r.Name), plain(r.Namespace), plain(orDash(row.Chart)), plain(orDash(row.DesiredVersion)), plain(deployed),
			plain(revision), cell{row.State, stateColor(r)}, plain(last))
	}
	if err := t.write(&b, pt); err != nil {
		return err
	}
	for _, r := range p.Releases {
		if r.Err != nil {
			fmt.Fprintf(&b, "%s %s: %s\n", pt.paint(red, "error:"), r.Name, firstLine(r.Err.Error()))
		}
	}
	if h := p.Lock; h != nil {
		fmt.Fprintf(&b, "%s held by %s", pt.paint(yellow, "lock:"), h)
		if h.Expired {
			b.WriteString(" (expired)")
		}
		b.WriteString("\n")
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "%s %s\n", pt.paint(yellow, "warning:"), w)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// StatusJSON writes the status as an indented StatusDocument.
func StatusJSON(w io.Writer, p *plan.Plan) error {
	doc := StatusDocument{APIVersion: StatusAPIVersion, Project: p.Project, Environment: p.Environment,
		Time: p.Time.UTC(), Releases: []StatusReleaseJSON{}, Lock: lockJSON(p.Lock), Warnings: nonNil(p.Warnings)}
	for _, r := range p.Releases {
		doc.Releases = append(doc.Releases, statusRow(r))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

func statusRow(r plan.Release) StatusReleaseJSON {
	row := StatusReleaseJSON{Name: r.Name, Namespace: r.Namespace, Chart: r.Chart, DesiredVersion: r.Version,
		State: string(r.State), Reason: r.Reason}
	if d := r.Deployed; d != nil {
		row.DeployedVersion = d.Version
	}
	if c := r.Current; c != nil {
		row.Revision, row.Status = c.Number, c.Status
		row.LastDeployed = c.Updated.UTC()
		if row.Chart == "" {
			row.Chart = c.Chart
		}
	}
	if r.Err != nil {
		row.Error = r.Err.Error()
	}
	return row
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// StatusMarkdown writes the status table in Markdown, for a pull request or an issue, within
// opts.Limit as Markdown keeps a plan (only rows can be cut: status has no diffs).
func StatusMarkdown(w io.Writer, p *plan.Plan, opts MarkdownOptions) error {
	hide := opts.redactor()
	if opts.Limit == 0 {
		opts.Limit = CommentLimit
	}
	if opts.Redact == nil {
		opts.Redact = func(s string) string { return s }
	}
	d := &mdDoc{command: "status", redact: opts.Redact}
	head := "### kaji status: project " + mdCode(hide, p.Project)
	if p.Environment != "" {
		head += ", environment " + mdCode(hide, p.Environment)
	}
	if opts.Context != "" {
		head += ", context " + mdCode(hide, opts.Context)
	}
	d.add(mdBlock{kind: mdFixed, text: head + "\n\n| Name | Namespace | Chart | Desired | Deployed | Revision | State | Last deployed |\n" +
		"|---|---|---|---|---|---|---|---|\n"})
	for _, r := range p.Releases {
		row := statusRow(r)
		revision, last := "-", "-"
		if row.Revision > 0 {
			revision = fmt.Sprint(row.Revision)
		}
		if !row.LastDeployed.IsZero() {
			last = Age(p.Time.Sub(row.LastDeployed)) + " ago"
		}
		cells := []string{r.Name, r.Namespace, orDash(row.Chart), orDash(row.DesiredVersion), orDash(row.DeployedVersion), revision, row.State, last}
		for i, c := range cells {
			cells[i] = mdCell(hide, c)
		}
		d.add(mdBlock{kind: mdRow, release: r.Name, text: "| " + strings.Join(cells, " | ") + " |\n"})
	}
	var tail strings.Builder
	for _, r := range p.Releases {
		if r.Err != nil {
			fmt.Fprintf(&tail, "\n- **Error:** %s: %s", mdCode(hide, r.Name), mdEsc(hide, r.Err.Error()))
		}
	}
	if h := p.Lock; h != nil {
		fmt.Fprintf(&tail, "\n- **Lock:** held by %s", mdEsc(hide, h.String()))
		if h.Expired {
			tail.WriteString(" (expired)")
		}
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(&tail, "\n- **Warning:** %s", mdEsc(hide, w))
	}
	if tail.Len() > 0 {
		d.add(mdBlock{kind: mdFixed, text: "\n" + strings.TrimPrefix(tail.String(), "\n") + "\n"})
	}
	_, err := io.WriteString(w, d.fit(opts.Limit))
	return err
}
