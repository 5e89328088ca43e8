package view

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"kaji.dev/kaji/internal/projectdoc"
)

// parsed is what GitHub reads of a page: fenced blocks by language, table rows as the text of
// their cells, headings.
type parsed struct {
	fenced   map[string][]string
	rows     [][]string
	headings []string
}

func parse(t *testing.T, doc string) parsed {
	t.Helper()
	src := []byte(doc)
	root := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src))
	p := parsed{fenced: map[string][]string{}}
	content := func(n gast.Node) string {
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
			lang := string(n.Language(src))
			p.fenced[lang] = append(p.fenced[lang], content(n))
		case *gast.Heading:
			var b bytes.Buffer
			_ = goldmark.New().Renderer().Render(&b, src, n)
			p.headings = append(p.headings, strings.TrimSpace(stripTags(b.String())))
		case *east.TableRow:
			var cells []string
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				var b bytes.Buffer
				_ = goldmark.New(goldmark.WithExtensions(extension.GFM)).Renderer().Render(&b, src, c)
				cells = append(cells, strings.TrimSpace(stripTags(b.String())))
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

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`).Replace(b.String())
}

func page(live bool) *projectdoc.Page {
	return &projectdoc.Page{Project: "shop", Live: live, Environments: []projectdoc.Environment{{
		Name: "prod", Cluster: "EKS cluster shop in eu-west-1",
		Releases: []projectdoc.Release{
			{Name: "end", Namespace: "infra", Chart: "db", Version: "1.0.0", Source: projectdoc.Source{Kind: projectdoc.SourceOCI, Location: "oci://registry.example/charts/db"}},
			{Name: "graph", Namespace: "apps", Chart: "web", Version: "2.0.0", AppVersion: "v2|x", Needs: []string{"end"},
				Source: projectdoc.Source{Kind: projectdoc.SourceRepository, Location: "https://charts.example"},
				Values: []projectdoc.Value{
					{Path: "a|b", Kind: projectdoc.ValuePlain, Text: "\"x`y\"", From: "kaji.yaml"},
					{Path: "db.password", Kind: projectdoc.ValueSecret, Text: "(secret from values/prod.sops.yaml)", From: "values/prod.sops.yaml"},
					{Path: "token", Kind: projectdoc.ValueReference, Text: "ref+awsssm:///shop/token", From: "kaji.yaml"},
				},
				Images: []string{"web:2"},
				Deployed: &projectdoc.Revision{Number: 4, Status: "deployed", Chart: "web", Version: "2.0.0",
					Updated: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}},
		},
	}}}
}

func write(t *testing.T, p *projectdoc.Page) string {
	t.Helper()
	var b bytes.Buffer
	if err := Markdown(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The needs are one Mermaid flowchart, with node ids that no release name can break (end is
// a keyword of Mermaid) and an arrow from what is needed to what needs it.
func TestNeedsAreAMermaidFlowchart(t *testing.T) {
	doc := parse(t, write(t, page(false)))
	charts := doc.fenced["mermaid"]
	if len(charts) != 1 {
		t.Fatalf("mermaid blocks %q, want one", charts)
	}
	want := "flowchart LR\n  r1[\"end\"]\n  r2[\"graph\"]\n  r1 --> r2\n"
	if charts[0] != want {
		t.Errorf("mermaid block:\n%s\nwant:\n%s", charts[0], want)
	}
}

func TestNoNeedsNoDiagram(t *testing.T) {
	p := page(false)
	p.Environments[0].Releases[1].Needs = nil
	out := write(t, p)
	if len(parse(t, out).fenced["mermaid"]) != 0 || !strings.Contains(out, "No release needs another") {
		t.Errorf("a project without needs has a diagram or lacks the sentence:\n%s", out)
	}
}

// Cells read as what they hold, whatever Markdown characters they have; a secret reads as
// where it comes from and a reference as a reference.
func TestCellsReadAsWritten(t *testing.T) {
	doc := parse(t, write(t, page(false)))
	want := [][]string{
		{"end", "infra", "db", "1.0.0", "-", "OCI oci://registry.example/charts/db"},
		{"graph", "apps", "web", "2.0.0", "v2|x", "repository https://charts.example"},
		{"a|b", "\"x`y\"", "kaji.yaml"},
		{"db.password", "(secret from values/prod.sops.yaml)", "values/prod.sops.yaml"},
		{"token", "ref+awsssm:///shop/token (reference)", "kaji.yaml"},
	}
	if len(doc.rows) != len(want) {
		t.Fatalf("rows %q, want %q", doc.rows, want)
	}
	for i := range want {
		if strings.Join(doc.rows[i], "\x00") != strings.Join(want[i], "\x00") {
			t.Errorf("row %d reads %q, want %q", i, doc.rows[i], want[i])
		}
	}
}

// Offline, the page holds no time; --live adds the revision and when it was deployed.
func TestLiveAddsRevisions(t *testing.T) {
	offline := write(t, page(false))
	if strings.Contains(offline, "2026") || strings.Contains(offline, "Revision") {
		t.Errorf("the offline page shows live data:\n%s", offline)
	}
	doc := parse(t, write(t, page(true)))
	if got := doc.rows[1]; len(got) != 8 || got[6] != "4 (deployed)" || got[7] != "2026-03-01T12:00:00Z" {
		t.Errorf("live row of graph = %q, want revision 4 (deployed) at 2026-03-01T12:00:00Z", got)
	}
	if got := doc.rows[0]; len(got) != 8 || got[6] != "not installed" {
		t.Errorf("live row of end = %q, want not installed", got)
	}
}

func TestHeadingsNameEnvironmentAndRelease(t *testing.T) {
	got := strings.Join(parse(t, write(t, page(false))).headings, "\n")
	want := "Project shop\nEnvironment prod\nend (prod)\ngraph (prod)"
	if got != want {
		t.Errorf("headings:\n%s\nwant:\n%s", got, want)
	}
}
