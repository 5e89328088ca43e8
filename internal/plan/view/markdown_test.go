package view

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/secrets"
)

// parsed is Markdown as a GitHub-flavoured CommonMark parser reads it.
type parsed struct {
	// rows are the body rows of the tables (not their headers), as the text of their cells.
	rows [][]string
	// code are the fenced code blocks: language and content.
	code []codeBlock
	// html is the raw HTML of HTML blocks, in order.
	html []string
}

type codeBlock struct{ lang, content string }

func parseMarkdown(t *testing.T, doc string) parsed {
	t.Helper()
	src := []byte(doc)
	root := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	var p parsed
	lines := func(n gast.Node) string {
		var b strings.Builder
		for i := 0; i < n.Lines().Len(); i++ {
			seg := n.Lines().At(i)
			b.Write(seg.Value(src))
		}
		return b.String()
	}
	err := gast.Walk(root, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
		if !entering {
			return gast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *gast.FencedCodeBlock:
			p.code = append(p.code, codeBlock{string(n.Language(src)), lines(n)})
		case *gast.HTMLBlock:
			p.html = append(p.html, lines(n))
		case *east.TableRow:
			var cells []string
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				cells = append(cells, plainText(c, src))
			}
			p.rows = append(p.rows, cells)
		}
		return gast.WalkContinue, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// plainText is what a reader sees of a node: its HTML rendering, without tags.
func plainText(n gast.Node, src []byte) string {
	var b bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Renderer().Render(&b, src, n); err != nil {
		return "render: " + err.Error()
	}
	return strings.TrimSpace(html.UnescapeString(tags.ReplaceAllString(b.String(), "")))
}

var tags = regexp.MustCompile(`<[^>]*>`)

// summaries are the releases named by the <summary> of each <details>, in order.
func (p parsed) summaries() []string {
	var out []string
	for _, h := range p.html {
		if _, rest, ok := strings.Cut(h, "<details><summary>"); ok {
			name, _, _ := strings.Cut(strings.SplitN(rest, "<b>", 2)[1], "</b>")
			out = append(out, name)
		}
	}
	return out
}

func markdown(t *testing.T, p *plan.Plan, opts MarkdownOptions) string {
	t.Helper()
	var out bytes.Buffer
	if err := Markdown(&out, p, opts); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func inSyncPlan() *plan.Plan {
	cm := plan.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "web"}
	return &plan.Plan{Project: "shop", Environment: "prod", Time: now, Releases: []plan.Release{
		{Name: "settings", Namespace: "platform", State: plan.StateInSync, Action: plan.ActionNone, Reason: "revision 4", Chart: "settings", Version: "0.1.0",
			Changes: []plan.ObjectChange{{Object: cm, Action: plan.ChangeUnchanged}}},
		{Name: "web", Namespace: "apps", State: plan.StateInSync, Action: plan.ActionNone, Reason: "revision 2", Chart: "app", Version: "1.2.0",
			Changes: []plan.ObjectChange{{Object: cm, Action: plan.ChangeUnchanged}}},
	}}
}

// configMapRelease is a release that upgrades one ConfigMap whose data key changes from old
// to new.
func configMapRelease(name, old, new string) plan.Release {
	cm := plan.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: name}
	return plan.Release{Name: name, Namespace: "apps", State: plan.StateUpgrade, Action: plan.ActionUpgrade, Reason: "values changed",
		Chart: "app", Version: "1.0.0", Revision: 2,
		Changes: []plan.ObjectChange{{Object: cm, Action: plan.ChangeUpdate,
			Live:    map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"text": old}},
			Planned: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"text": new}}}}}
}

// numbered is n lines "prefix 1" to "prefix n", each line ending with a newline.
func numbered(prefix string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%s %d\n", prefix, i)
	}
	return b.String()
}

// overLimitPlan has three releases with diffs of 60, 30 and 4 lines, and one in sync.
func overLimitPlan() *plan.Plan {
	p := inSyncPlan()
	p.Releases = append(p.Releases[:1],
		configMapRelease("big", numbered("old line", 30), numbered("new line", 30)),
		configMapRelease("medium", numbered("old line", 15), numbered("new line", 15)),
		configMapRelease("small", "before\n", "after\n"))
	return p
}

func TestMarkdownGolden(t *testing.T) {
	fence := configMapRelease("docs", "# Usage\n\n```sh\nmake\n```\n", "# Usage\n\n````md\n```sh\nmake test\n```\n````\n")
	fence.Changes[0].Note = "```"
	selected := inSyncPlan()
	selected.Scope = plan.Scope{Selectors: []string{"team=web_1"}, Picked: []string{"web"}, Needs: []string{"settings"}}
	for _, tc := range []struct {
		name string
		plan *plan.Plan
		opts MarkdownOptions
	}{
		{"no-changes", inSyncPlan(), MarkdownOptions{Context: "shop-prod"}},
		{"selection", selected, MarkdownOptions{Context: "shop-prod"}},
		{"every-state", everyState(), MarkdownOptions{Context: "shop-prod"}},
		{"fence", &plan.Plan{Project: "shop", Time: now, Releases: []plan.Release{fence}}, MarkdownOptions{}},
		{"over-limit", overLimitPlan(), MarkdownOptions{Context: "shop-prod", Limit: 2600}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := markdown(t, tc.plan, tc.opts)
			golden(t, "markdown-"+tc.name+".md", out)
			if limit := cmp.Or(tc.opts.Limit, CommentLimit); len(out) > limit {
				t.Errorf("%d bytes, over the limit of %d", len(out), limit)
			}
		})
	}
}

// The every-state plan as a parser reads it: a row per release with its object changes, a
// section for each release that is not in sync, and the diffs GitHub colours.
func TestMarkdownStructure(t *testing.T) {
	p := everyState()
	out := markdown(t, p, MarkdownOptions{})
	doc := parseMarkdown(t, out)
	if len(doc.rows) != len(p.Releases) {
		t.Fatalf("%d table rows, want %d releases:\n%s", len(doc.rows), len(p.Releases), out)
	}
	wantRows := map[string][]string{
		"web":    {"web", "apps", "app 1.2.0", "upgrade", "upgrade", "+0 ~1 -1 !1"},
		"search": {"search", "apps", "search 5.0.0", "install", "install", "+1 ~0 -0"},
		"api":    {"api", "apps", "api 1.0.0", "drifted", "refused", "+0 ~1 -0"},
		"legacy": {"legacy", "apps", "legacy 0.1.0", "orphan", "none", "kept"},
		"broken": {"broken", "apps", "-", "unknown", "none", "error"},
		"queue":  {"queue", "apps", "queue 2.0.0", "pending", "blocked", "blocked"},
	}
	for _, row := range doc.rows {
		if want, ok := wantRows[row[0]]; ok && strings.Join(row, "|") != strings.Join(want, "|") {
			t.Errorf("row %q, want %q", row, want)
		}
	}
	want := []string{"web", "creds", "queue", "jobs", "cache", "shared", "theirs", "search", "api", "broken", "legacy"}
	if got := doc.summaries(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("sections %v, want %v", got, want)
	}
	var diffs []string
	for _, c := range doc.code {
		if c.lang != "diff" {
			t.Errorf("code block in %q, want diff", c.lang)
		}
		diffs = append(diffs, c.content)
	}
	all := strings.Join(diffs, "\n")
	for _, want := range []string{"-   GREETING: hello\n+   GREETING: hi\n", "- ConfigMap old (apps)\n", "+ ConfigMap search (apps)\n@@ -1,0 +1,4 @@\n+ apiVersion: v1\n",
		"-   replicas: 5\n+   replicas: 2\n", "  drifted: spec.replicas: applied 2, live 5\n"} {
		if !strings.Contains(all, want) {
			t.Errorf("diffs lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(out, "b2xk") || strings.Contains(out, "bmV3ZXI") {
		t.Errorf("the data of a Secret is shown:\n%s", out)
	}
	if !strings.Contains(all, "password: '<redacted: 3 bytes, changed>'") {
		t.Errorf("the Secret's diff does not say its data changed:\n%s", all)
	}
	for _, want := range []string{
		"**Error:** `Deployment.apps web` (apps): server-side dry run:",
		"**Conflict:** `Deployment.apps api` (apps): spec.replicas is owned by",
		"**Error:** chart \"./charts/broken\": no Chart.yaml",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Count(out, "<details>") != strings.Count(out, "</details>") || strings.Contains(out, "Cut to fit") {
		t.Errorf("unbalanced or cut:\n%s", out)
	}
	if first, _, _ := strings.Cut(out, "\n"); first != "<!-- kaji plan: project shop, environment prod -->" {
		t.Errorf("first line %q, want the marker", first)
	}
}

// A diff holding fences of three and four backticks stays one code block, whole.
func TestMarkdownFenceInDiff(t *testing.T) {
	body := "  ```\n+ ````md\n- plain\n"
	if got := parseMarkdown(t, fenced("diff", body)).code; len(got) != 1 || got[0].content != body {
		t.Errorf("fenced(%q) parses as %q", body, got)
	}
	r := configMapRelease("docs", "```sh\nmake\n```\n", "````md\n```sh\nmake test\n```\n````\n")
	r.Changes[0].Note = "```"
	out := markdown(t, &plan.Plan{Project: "shop", Time: now, Releases: []plan.Release{r}}, MarkdownOptions{})
	doc := parseMarkdown(t, out)
	if len(doc.code) != 1 || !strings.HasPrefix(doc.code[0].content, "~ ConfigMap docs (apps)\n  ```\n") ||
		!strings.Contains(doc.code[0].content, "+     ````md\n") || !strings.HasSuffix(doc.code[0].content, "kind: ConfigMap\n") {
		t.Errorf("code blocks %q of\n%s", doc.code, out)
	}
	if got := doc.summaries(); len(got) != 1 || got[0] != "docs" {
		t.Errorf("sections %v", got)
	}
}

// A secret of the run in a diff is shown as its label, and the output is measured with the
// labels in: a label longer than its value must not push the output over the limit.
func TestMarkdownRedactsBeforeMeasuring(t *testing.T) {
	const value = "tok3n-Zq"
	label := secrets.LabelRef("ref+awssecrets://shop/prod/api-token#token")
	reg := secrets.NewRegistry()
	if err := reg.Add(value, label); err != nil {
		t.Fatal(err)
	}
	p := inSyncPlan()
	p.Releases = append(p.Releases,
		configMapRelease("api", numbered("token "+value, 40), numbered("token "+value+" rotated", 40)),
		configMapRelease("web", "a\n", "b\n"))
	plain := markdown(t, p, MarkdownOptions{})
	redacted := markdown(t, p, MarkdownOptions{Redact: reg.Redact})
	if !strings.Contains(plain, value) || strings.Contains(redacted, value) || !strings.Contains(redacted, label) {
		t.Fatalf("secret not replaced by its label:\n%s", redacted)
	}
	limit := len(plain) + 100
	if len(redacted) <= limit {
		t.Fatalf("test needs a label that makes the output longer: %d bytes redacted, limit %d", len(redacted), limit)
	}
	out := markdown(t, p, MarkdownOptions{Redact: reg.Redact, Limit: limit})
	if len(out) > limit || strings.Contains(out, value) {
		t.Errorf("%d bytes for a limit of %d, or the value shown:\n%s", len(out), limit, out)
	}
	if !strings.Contains(out, "the diff of `api`.") || !strings.Contains(out, "+     b\n") {
		t.Errorf("want the diff of api cut and that of web kept:\n%s", out)
	}
}

// A plan far over GitHub's limit keeps every row and every section, and cuts the largest diffs.
func TestMarkdownFitsCommentLimit(t *testing.T) {
	p := &plan.Plan{Project: "shop", Time: now}
	for i := range 150 {
		n := 1 + i%37 // diffs of 2 to 74 lines, in no order
		p.Releases = append(p.Releases, configMapRelease(fmt.Sprintf("app-%03d", i), numbered("old", n), numbered("new", n)))
	}
	full := markdown(t, p, MarkdownOptions{Limit: 1 << 30})
	out := markdown(t, p, MarkdownOptions{})
	if len(full) <= CommentLimit || len(out) > CommentLimit {
		t.Fatalf("full %d bytes, fitted %d bytes: want over and within %d", len(full), len(out), CommentLimit)
	}
	doc := parseMarkdown(t, out)
	if len(doc.rows) != 150 || len(doc.summaries()) != 150 {
		t.Errorf("%d rows and %d sections, want 150 of each", len(doc.rows), len(doc.summaries()))
	}
	kept := map[string]int{}
	for _, c := range doc.code {
		name := strings.Fields(strings.SplitN(c.content, "\n", 2)[0])[2]
		kept[name] = strings.Count(c.content, "\n")
	}
	smallestCut, largestKept := 1<<30, 0
	for i, r := range p.Releases {
		size := 1 + i%37
		if _, ok := kept[r.Name]; ok {
			largestKept = max(largestKept, size)
		} else {
			smallestCut = min(smallestCut, size)
		}
	}
	if len(kept) == 0 || len(kept) == 150 || largestKept > smallestCut {
		t.Errorf("%d diffs kept; largest kept %d lines, smallest cut %d: want the largest cut first", len(kept), largestKept, smallestCut)
	}
	cut := 150 - len(kept)
	if !strings.Contains(out, fmt.Sprintf(" and %d more. Run `kaji plan` to see it all.", cut-10)) ||
		!strings.Contains(out, "**Cut to fit a GitHub comment (65,536 characters):** the diffs of `app-") {
		t.Errorf("note does not say what was cut (%d diffs):\n%s", cut, out[len(out)-600:])
	}
	if got := strings.Count(out, "*Diff cut to fit the comment ("); got != cut {
		t.Errorf("%d sections say their diff was cut, want %d", got, cut)
	}
}

// When even without diffs the sections do not fit, the details go, then the last sections,
// then the last rows; what is left still fits.
func TestMarkdownCutsSectionsLast(t *testing.T) {
	p := everyState()
	full := markdown(t, p, MarkdownOptions{Limit: 1 << 30})
	for _, tc := range []struct {
		limit int
		want  string
	}{
		{len(full) - 100, ". Run `kaji plan` to see it all."},
		{2700, "; the details of `"},
		{2000, "; the sections of `"},
		{1600, "rows of the table"},
	} {
		out := markdown(t, p, MarkdownOptions{Limit: tc.limit})
		if len(out) > tc.limit || !strings.Contains(out, tc.want) {
			t.Errorf("limit %d: %d bytes, want a note with %q:\n%s", tc.limit, len(out), tc.want, out)
		}
		if strings.Count(out, "<details>") != strings.Count(out, "</details>") {
			t.Errorf("limit %d: unbalanced <details>:\n%s", tc.limit, out)
		}
	}
}

func TestEscapeText(t *testing.T) {
	in := "a|b <script>&amp; *x* _y_ `z` [l](u) ~s~\nnext"
	doc := parseMarkdown(t, "| h |\n|---|\n| "+escapeText(in)+" |\n")
	if len(doc.rows) != 1 || len(doc.rows[0]) != 1 {
		t.Fatalf("rows %q", doc.rows)
	}
	if want := "a|b <script>&amp; *x* _y_ `z` [l](u) ~s~next"; doc.rows[0][0] != want {
		t.Errorf("cell reads %q, want %q", doc.rows[0][0], want)
	}
}

func TestStatusMarkdownGolden(t *testing.T) {
	var out bytes.Buffer
	if err := StatusMarkdown(&out, everyState(), MarkdownOptions{Context: "shop-prod"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "status.md", out.String())
	if rows := parseMarkdown(t, out.String()).rows; len(rows) != len(everyState().Releases) {
		t.Errorf("%d rows, want %d", len(rows), len(everyState().Releases))
	}
}

// A secret quoted in an error or a warning is hidden although Markdown escapes its characters:
// it is replaced before it is escaped.
func TestMarkdownRedactsBeforeEscaping(t *testing.T) {
	const value = "db_pass*word&1<x>"
	label := secrets.LabelRef("ref+awsssm:///shop/db")
	reg := secrets.NewRegistry()
	if err := reg.Add(value, label); err != nil {
		t.Fatal(err)
	}
	p := inSyncPlan()
	r := configMapRelease("api", "a\n", "b\n")
	r.Err = errors.New(`the API server refused ConfigMap api: data.dsn: "postgres://u:` + value + `@h"`)
	r.Warnings = append(r.Warnings, "value "+value+" looks odd")
	p.Releases = append(p.Releases, r)
	out := markdown(t, p, MarkdownOptions{Redact: reg.Redact})
	for _, form := range []string{"pass", `pass\*word`, "word&amp;1"} {
		if strings.Contains(out, form) {
			t.Errorf("markdown shows %q of the secret:\n%s", form, out)
		}
	}
	if strings.Count(out, label) < 2 {
		t.Errorf("want the label in the error and the warning:\n%s", out)
	}
}
