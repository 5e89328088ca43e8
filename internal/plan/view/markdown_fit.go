package view

import (
	"fmt"
	"html"
	"strings"

	md "kaji.dev/kaji/internal/markdown"
)

// mdKind is what part of the Markdown of a plan a block is, which decides when fit cuts it.
type mdKind int

const (
	mdFixed       mdKind = iota // heading, table header, summary line, lock, warnings
	mdRow                       // a row of the table
	mdSectionHead               // the opening of a release's <details> and its <summary>
	mdDetails                   // a release's reason, errors, conflicts, hooks and warnings
	mdDiff                      // a release's diff, fenced
	mdSectionEnd                // the closing of a release's <details>
)

// mdBlock is one piece of the Markdown of a plan.
type mdBlock struct {
	kind    mdKind
	release string
	// section is the 1-based number of the release's section, 0 outside sections.
	section int
	text    string
	// cut stands for text once fit cuts the block.
	cut   string
	isCut bool
}

func (b *mdBlock) String() string {
	if b.isCut {
		return b.cut
	}
	return b.text
}

// mdDoc is the Markdown of a plan, in blocks.
type mdDoc struct {
	// command is the kaji command that shows all that fit may cut: "plan" or "status".
	command  string
	redact   func(string) string
	blocks   []mdBlock
	sections int
}

// add appends a block, its secrets replaced by their labels, so that what fit measures is
// what is printed.
func (d *mdDoc) add(b mdBlock) {
	b.text = d.redact(b.text)
	d.blocks = append(d.blocks, b)
}

// fit returns the document within limit bytes. Until it fits, it cuts, in turn: diffs, from
// the largest down; then the details of sections, from the largest down; then whole sections,
// from the last up; then rows of the table, from the last up. Every row of the table and the
// summary line of every section stay unless the diffs and details alone cannot make room.
// When anything is cut, a note at the end names it.
func (d *mdDoc) fit(limit int) string {
	size := 0
	for i := range d.blocks {
		size += len(d.blocks[i].text)
	}
	for size+len(d.note(limit)) > limit {
		i := d.largest(mdDiff)
		if i < 0 {
			i = d.largest(mdDetails)
		}
		if i >= 0 {
			b := &d.blocks[i]
			size += len(b.cut) - len(b.text)
			b.isCut = true
			continue
		}
		if s := d.lastSection(); s > 0 {
			for j := range d.blocks {
				if b := &d.blocks[j]; b.section == s {
					size -= len(b.String())
					b.isCut, b.cut = true, ""
				}
			}
			continue
		}
		i = d.lastRow()
		if i < 0 {
			break // the heading and summary alone are over the limit: nothing is left to cut
		}
		size -= len(d.blocks[i].text)
		d.blocks[i].isCut = true
	}
	var out strings.Builder
	for i := range d.blocks {
		out.WriteString(d.blocks[i].String())
	}
	out.WriteString(d.note(limit))
	return out.String()
}

// largest returns the index of the uncut block of kind whose cut saves the most, or -1.
func (d *mdDoc) largest(kind mdKind) int {
	best, gain := -1, 0
	for i, b := range d.blocks {
		if b.kind == kind && !b.isCut && len(b.text)-len(b.cut) > gain {
			best, gain = i, len(b.text)-len(b.cut)
		}
	}
	return best
}

// lastSection returns the number of the last section not cut whole, or 0.
func (d *mdDoc) lastSection() int {
	for i := len(d.blocks) - 1; i >= 0; i-- {
		if b := d.blocks[i]; b.kind == mdSectionHead && !b.isCut {
			return b.section
		}
	}
	return 0
}

// lastRow returns the index of the last row of the table not cut, or -1.
func (d *mdDoc) lastRow() int {
	for i := len(d.blocks) - 1; i >= 0; i-- {
		if b := d.blocks[i]; b.kind == mdRow && !b.isCut {
			return i
		}
	}
	return -1
}

// note says what was cut, or is empty when nothing was.
func (d *mdDoc) note(limit int) string {
	cutSection := map[int]bool{}
	var diffs, details, sections []string
	rows := 0
	for _, b := range d.blocks {
		if b.kind == mdSectionHead && b.isCut {
			cutSection[b.section] = true
			sections = append(sections, b.release)
		}
	}
	for _, b := range d.blocks {
		switch {
		case !b.isCut || cutSection[b.section]:
		case b.kind == mdDiff:
			diffs = append(diffs, b.release)
		case b.kind == mdDetails:
			details = append(details, b.release)
		case b.kind == mdRow:
			rows++
		}
	}
	var parts []string
	if len(diffs) > 0 {
		parts = append(parts, plural(len(diffs), "the diff of ", "the diffs of ")+names(diffs))
	}
	if len(details) > 0 {
		parts = append(parts, "the details of "+names(details))
	}
	if len(sections) > 0 {
		parts = append(parts, plural(len(sections), "the section of ", "the sections of ")+names(sections))
	}
	if rows > 0 {
		parts = append(parts, plural(rows, "the last row of the table", fmt.Sprintf("the last %d rows of the table", rows)))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("\n---\n**Cut to fit a GitHub comment (%s characters):** %s. Run `kaji %s` to see it all.\n",
		thousands(limit), strings.Join(parts, "; "), d.command)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// names lists release names for the note: at most ten, then how many more.
func names(list []string) string {
	const most = 10
	quoted := make([]string, 0, min(len(list), most))
	for _, n := range list[:min(len(list), most)] {
		quoted = append(quoted, codeSpan(n))
	}
	if len(list) > most {
		return strings.Join(quoted, ", ") + fmt.Sprintf(" and %d more", len(list)-most)
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
}

// thousands formats n with commas: 65,536.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// escapeText makes text safe in Markdown: read as text, never as markup, HTML, or the end of a
// table cell. Line breaks become <br>.
func escapeText(s string) string { return md.Text(s) }

// cellText is text for a cell of a table.
func cellText(s string) string { return escapeText(s) }

// mdEsc, mdCode, mdCell and mdHTML are escapeText, codeSpan, cellText and html.EscapeString of s
// with the run's secrets replaced by their labels first: escaped, a secret would no longer
// match any form the registry knows.
func mdEsc(hide func(string) string, s string) string  { return escapeText(hide(s)) }
func mdCode(hide func(string) string, s string) string { return codeSpan(hide(s)) }
func mdCell(hide func(string) string, s string) string { return cellText(hide(s)) }
func mdHTML(hide func(string) string, s string) string { return html.EscapeString(hide(s)) }

// redactor returns opts.Redact, or a function that changes nothing.
func (o MarkdownOptions) redactor() func(string) string {
	if o.Redact == nil {
		return func(s string) string { return s }
	}
	return o.Redact
}

// codeSpan is s as inline code, with enough backticks around it that those in s do not end it.
func codeSpan(s string) string { return md.Code(s) }

// fenced is body as a fenced code block of language lang, with a fence longer than any run
// of backticks in body, so that body cannot close it.
func fenced(lang, body string) string { return md.Fenced(lang, body) }

// markerSafe keeps a name from ending the HTML comment of MarkdownMarker, or from breaking
// a shell or jq string that quotes the marker.
func markerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '<', '>', '"', '\'', '\\', '`', '$', '\n', '\r':
			return '_'
		}
		return r
	}, s)
}
