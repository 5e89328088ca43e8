package validate

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"kaji.dev/kaji/internal/spec"
)

// templateError is a render error taken apart: the template position and Helm's message.
type templateError struct {
	pos     spec.Pos
	message string
}

var (
	// Helm's reformatted errors of fail, required and template parsing:
	// "execution error at (web/templates/x.yaml:2:6): need x".
	atLocation = regexp.MustCompile(`(?s)^(?:parse|execution) error (?:at|in) \(([^()]+?)(?::(\d+))?(?::(\d+))?\): (.*)$`)
	// A location line of Helm's reformatted execution errors: "web/templates/x.yaml:2:13".
	locationLine = regexp.MustCompile(`^(\S+?):(\d+)(?::(\d+))?$`)
	// text/template's own form, when Helm leaves it as it is:
	// "template: web/templates/x.yaml:2:13: executing ...".
	rawTemplate = regexp.MustCompile(`(?s)^template: ([^:\s]+):(\d+)(?::(\d+))?: (.*)$`)
)

// parseTemplateError finds the template file:line and Helm's message in an error of
// render.Renderer.Render. It returns false for errors that come from elsewhere than a template.
func parseTemplateError(err error) (templateError, bool) {
	// Render wraps Helm's error once, with the chart's name.
	inner := err
	if u := errors.Unwrap(err); u != nil {
		inner = u
	}
	s := strings.TrimSpace(inner.Error())
	if m := atLocation.FindStringSubmatch(s); m != nil {
		return templateError{pos: location(m[1], m[2], m[3]), message: oneLine(m[4])}, true
	}
	if te, ok := parseTraceback(s); ok {
		return te, true
	}
	if m := rawTemplate.FindStringSubmatch(s); m != nil {
		return templateError{pos: location(m[1], m[2], m[3]), message: oneLine(m[4])}, true
	}
	return templateError{}, false
}

// parseTraceback reads Helm's multi-line form of an execution error: for each template on the
// way, outermost first, a location line, then "executing ... at <...>:" and the message,
// indented. The innermost template is where the error is; the others called it.
func parseTraceback(s string) (templateError, bool) {
	type block struct {
		pos   spec.Pos
		lines []string
	}
	var blocks []block
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		if m := locationLine.FindStringSubmatch(line); m != nil {
			blocks = append(blocks, block{pos: location(m[1], m[2], m[3])})
			continue
		}
		if len(blocks) == 0 {
			return templateError{}, false
		}
		if t := strings.TrimSpace(line); t != "" {
			b := &blocks[len(blocks)-1]
			b.lines = append(b.lines, t)
		}
	}
	if len(blocks) == 0 {
		return templateError{}, false
	}
	last := blocks[len(blocks)-1]
	msg := strings.Join(last.lines, " ")
	if len(blocks) > 1 {
		var callers []string
		for i := len(blocks) - 2; i >= 0; i-- {
			callers = append(callers, blocks[i].pos.String())
		}
		msg += fmt.Sprintf(" (called from %s)", strings.Join(callers, ", "))
	}
	return templateError{pos: last.pos, message: msg}, true
}

func location(file, line, col string) spec.Pos {
	l, _ := strconv.Atoi(line) // empty or digits, by the patterns
	c, _ := strconv.Atoi(col)
	return spec.Pos{File: file, Line: l, Column: c}
}
