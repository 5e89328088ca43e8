// Package markdown writes text into GitHub-flavoured Markdown safely: as text that is never
// read as markup, as inline code, and as fenced code blocks that their content cannot close.
package markdown

import "strings"

// escaper backslash-escapes Markdown's punctuation and writes HTML's as entities.
var escaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "~", `\~`, "|", `\|`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "\r\n", "<br>", "\n", "<br>",
)

// Text makes s safe in Markdown: read as text, never as markup, HTML, or the end of a table
// cell. Line breaks become <br>.
func Text(s string) string { return escaper.Replace(strings.TrimRight(s, "\n")) }

// Code is s as inline code, with enough backticks around it that those in s do not end it.
// Line breaks become spaces.
func Code(s string) string {
	s = strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", " ")
	ticks := strings.Repeat("`", LongestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return ticks + pad + s + pad + ticks
}

// CodeCell is Code for a cell of a table: a pipe, which ends the cell even inside code, is
// escaped, and GitHub shows it as a pipe.
func CodeCell(s string) string { return strings.ReplaceAll(Code(s), "|", `\|`) }

// Fenced is body as a fenced code block of language lang, with a fence longer than any run
// of backticks in body, so that body cannot close it. A blank line follows the block.
func Fenced(lang, body string) string {
	fence := strings.Repeat("`", max(3, LongestRun(body, '`')+1))
	return fence + lang + "\n" + strings.TrimRight(body, "\n") + "\n" + fence + "\n\n"
}

// LongestRun is the length of the longest run of c in s.
func LongestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}
