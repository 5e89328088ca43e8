package markdown

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// parse reads doc as GitHub does and returns its root and source.
func parse(doc string) (gast.Node, []byte) {
	src := []byte(doc)
	return goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser().Parse(text.NewReader(src)), src
}

// html renders doc as GitHub-flavoured Markdown.
func html(t *testing.T, doc string) string {
	t.Helper()
	var b bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(doc), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCodeKeepsBackticks(t *testing.T) {
	for _, in := range []string{"plain", "a`b", "``x``", "`edge`", "two\nlines"} {
		root, src := parse("x " + Code(in) + " y\n")
		var got []string
		_ = gast.Walk(root, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
			if cs, ok := n.(*gast.CodeSpan); ok && entering {
				var b strings.Builder
				for c := cs.FirstChild(); c != nil; c = c.NextSibling() {
					b.Write(c.(*gast.Text).Segment.Value(src))
				}
				got = append(got, b.String())
			}
			return gast.WalkContinue, nil
		})
		want := strings.ReplaceAll(in, "\n", " ")
		if len(got) != 1 || got[0] != want {
			t.Errorf("Code(%q) reads as code spans %q, want one of %q", in, got, want)
		}
	}
}

func TestFencedCannotBeClosedByItsBody(t *testing.T) {
	body := "before\n```\nnot the end\n````\nafter"
	root, src := parse(Fenced("yaml", body) + "outside\n")
	var blocks []string
	_ = gast.Walk(root, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
		if fc, ok := n.(*gast.FencedCodeBlock); ok && entering {
			var b strings.Builder
			for i := 0; i < fc.Lines().Len(); i++ {
				seg := fc.Lines().At(i)
				b.Write(seg.Value(src))
			}
			if lang := string(fc.Language(src)); lang != "yaml" {
				t.Errorf("language %q, want yaml", lang)
			}
			blocks = append(blocks, b.String())
		}
		return gast.WalkContinue, nil
	})
	if len(blocks) != 1 || blocks[0] != body+"\n" {
		t.Errorf("fenced blocks %q, want one holding %q", blocks, body)
	}
}

func TestTextIsNeverMarkup(t *testing.T) {
	out := html(t, "| h |\n|---|\n| "+Text("a|b <script>&amp; *x* _y_ `z` [l](u) ~s~")+" |\n")
	for _, markup := range []string{"<script>", "<em>", "<strong>", "<code>", "<a ", "<del>"} {
		if strings.Contains(out, markup) {
			t.Errorf("escaped text renders %s:\n%s", markup, out)
		}
	}
	if strings.Count(out, "<td>") != 1 {
		t.Errorf("escaped text splits the cell:\n%s", out)
	}
}

func TestCodeCellKeepsItsCell(t *testing.T) {
	out := html(t, "| a | b |\n|---|---|\n| "+CodeCell("x|y`z")+" | next |\n")
	if strings.Count(out, "<td>") != 2 || !strings.Contains(out, "<code>x|y`z</code>") {
		t.Errorf("a code cell with a pipe renders:\n%s", out)
	}
}
