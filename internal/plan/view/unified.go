package view

import (
	"fmt"
	"strings"
)

// edit is one line of a line diff: ' ' kept, '-' removed, '+' added.
type edit struct {
	op   byte
	line string
}

// lineDiff returns the edits that turn a into b, from a longest common subsequence of lines.
// Objects are a few hundred lines at most, so the quadratic table is cheap.
func lineDiff(a, b []string) []edit {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []edit
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, edit{' ', a[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, edit{'-', a[i]})
			i++
		default:
			out = append(out, edit{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, edit{'-', a[i]})
	}
	for ; j < m; j++ {
		out = append(out, edit{'+', b[j]})
	}
	return out
}

// unified formats the diff of a and b as unified-diff hunks with context lines of context,
// each line prefixed by indent. It returns "" when a and b are equal.
func unified(a, b string, context int, indent string, p painter) string {
	edits := lineDiff(splitLines(a), splitLines(b))
	var out strings.Builder
	for start := 0; start < len(edits); {
		// Find the next change.
		for start < len(edits) && edits[start].op == ' ' {
			start++
		}
		if start == len(edits) {
			break
		}
		from := max(start-context, 0)
		end := start
		for end < len(edits) {
			if edits[end].op != ' ' {
				end++
				continue
			}
			run := end
			for run < len(edits) && edits[run].op == ' ' {
				run++
			}
			if run == len(edits) || run-end > 2*context {
				break
			}
			end = run
		}
		to := min(end+context, len(edits))
		aLine, bLine := 1, 1
		for _, e := range edits[:from] {
			if e.op != '+' {
				aLine++
			}
			if e.op != '-' {
				bLine++
			}
		}
		var aCount, bCount int
		for _, e := range edits[from:to] {
			if e.op != '+' {
				aCount++
			}
			if e.op != '-' {
				bCount++
			}
		}
		fmt.Fprintf(&out, "%s%s\n", indent, p.paint(cyan, fmt.Sprintf("@@ -%d,%d +%d,%d @@", aLine, aCount, bLine, bCount)))
		for _, e := range edits[from:to] {
			line := string(e.op) + " " + e.line
			switch e.op {
			case '-':
				line = p.paint(red, line)
			case '+':
				line = p.paint(green, line)
			}
			out.WriteString(strings.TrimRight(indent+line, " ") + "\n")
		}
		start = to
	}
	return out.String()
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
