package helmfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// templateLine is a line of the helmfile that holds helmfile template actions ({{ ... }}).
type templateLine struct {
	// line is the 1-based line number.
	line int
	// actions are the template actions on the line, or the line itself inside an action that
	// spans lines.
	actions []string
	// skipped says the line held nothing but template actions and was left out of the YAML.
	skipped bool
}

// templated is a helmfile's text with its template actions taken out, so that the rest can be
// read as YAML with its lines where they were.
type templated struct {
	// yaml is the text to parse: lines of template actions alone are blank, and an action
	// inside a line is a placeholder token that restore turns back into the action.
	yaml []byte
	// lines are the lines with template actions, in order.
	lines []templateLine
	// actions holds the action each placeholder token stands for, by the token's number.
	actions []string
}

var (
	action       = regexp.MustCompile(`\{\{.*?\}\}`)
	placeholder  = regexp.MustCompile(`__kajitemplate([0-9]+)__`)
	commentOnly  = regexp.MustCompile(`^\{\{-?\s*/\*.*\*/\s*-?\}\}$`)
	envReference = regexp.MustCompile(`\b(requiredEnv|env)\s+"([^"]*)"`)
	stateValues  = regexp.MustCompile(`\.(Environment|Values|StateValues)\b`)
)

// scanTemplates finds the template actions of text and returns the text without them.
func scanTemplates(text []byte) *templated {
	t := &templated{}
	lines := strings.SplitAfter(string(text), "\n")
	var out strings.Builder
	open := false // inside an action that spans lines
	for i, line := range lines {
		body := strings.TrimRight(line, "\r\n")
		eol := line[len(body):]
		n := i + 1
		if open {
			t.lines = append(t.lines, templateLine{line: n, actions: []string{strings.TrimSpace(body)}, skipped: true})
			open = !strings.Contains(body, "}}")
			out.WriteString(eol)
			continue
		}
		start := templateStart(body)
		if start < 0 {
			out.WriteString(line)
			continue
		}
		head, tail := body[:start], body[start:]
		found := action.FindAllString(tail, -1)
		rest := action.ReplaceAllString(tail, "")
		if strings.Contains(rest, "{{") {
			// An action that goes on past this line: the line and the next ones up to its end
			// are left out.
			open = true
			found = append(found, strings.TrimSpace(rest[strings.Index(rest, "{{"):]))
			t.lines = append(t.lines, templateLine{line: n, actions: found, skipped: true})
			out.WriteString(eol)
			continue
		}
		if strings.TrimSpace(head+rest) == "" {
			t.lines = append(t.lines, templateLine{line: n, actions: found, skipped: true})
			out.WriteString(eol)
			continue
		}
		t.lines = append(t.lines, templateLine{line: n, actions: found})
		out.WriteString(head)
		out.WriteString(action.ReplaceAllStringFunc(tail, func(a string) string {
			t.actions = append(t.actions, a)
			return "__kajitemplate" + strconv.Itoa(len(t.actions)-1) + "__"
		}))
		out.WriteString(eol)
	}
	t.yaml = []byte(out.String())
	return t
}

// templateStart returns where the first template action of a line starts, or -1 when it has
// none outside a YAML comment.
func templateStart(line string) int {
	at := strings.Index(line, "{{")
	if at < 0 {
		return -1
	}
	trimmed := strings.TrimLeft(line, " \t")
	if strings.HasPrefix(trimmed, "#") {
		return -1
	}
	if c := strings.Index(line, " #"); c >= 0 && c < at {
		return -1
	}
	return at
}

// restore puts the template actions back in place of their placeholder tokens.
func (t *templated) restore(s string) string {
	if len(t.actions) == 0 || !strings.Contains(s, "__kajitemplate") {
		return s
	}
	return placeholder.ReplaceAllStringFunc(s, func(tok string) string {
		i, err := strconv.Atoi(placeholder.FindStringSubmatch(tok)[1])
		if err != nil || i >= len(t.actions) {
			return tok
		}
		return t.actions[i]
	})
}

// hasTemplate reports whether s holds a placeholder token of a template action.
func hasTemplate(s string) bool {
	return placeholder.MatchString(s)
}

// lineList returns the numbers of the templated lines, for an error message.
func (t *templated) lineList() string {
	nums := make([]string, 0, len(t.lines))
	for _, l := range t.lines {
		nums = append(nums, strconv.Itoa(l.line))
	}
	return strings.Join(nums, ", ")
}

// blocking reports whether a templated line changes what is imported: every action but a
// template comment does.
func (l templateLine) blocking() bool {
	for _, a := range l.actions {
		if !commentOnly.MatchString(a) {
			return true
		}
	}
	return false
}

// message says what the template on a line means for the import and what to do.
func (l templateLine) message() string {
	joined := strings.Join(l.actions, " ")
	if !l.blocking() {
		return fmt.Sprintf("helmfile template comment %s: nothing to import", joined)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "helmfile template %s: kaji does not evaluate templates, so ", joined)
	if l.skipped {
		b.WriteString("the import left this line out and read the lines around it as plain YAML (every branch of a condition, a loop's body once)")
	} else {
		b.WriteString("the import kept the template text as the value")
	}
	var vars []string
	for _, m := range envReference.FindAllStringSubmatch(joined, -1) {
		vars = append(vars, m[2])
	}
	if len(vars) > 0 {
		fmt.Fprintf(&b, "; it reads the environment variable %s: write the value it has where you deploy", strings.Join(vars, ", "))
	}
	if stateValues.MatchString(joined) {
		b.WriteString("; it depends on the helmfile environment: write each environment's value under environments.<name>.releases.<release> in kaji.yaml")
	}
	b.WriteString("; check the release, or import the rendered helmfile that `helmfile build` prints (with --environment NAME for each environment)")
	return b.String()
}
