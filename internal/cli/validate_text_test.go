package cli

import (
	"bytes"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/validate"
)

// TestFindingsTextSuggestion checks the end of an unknown key's line: the suggestion when
// there is one, "no close key" when there is none, and neither for other findings.
func TestFindingsTextSuggestion(t *testing.T) {
	pos := spec.Pos{File: "kaji.yaml", Line: 3, Column: 5}
	rep := &validate.Report{Findings: []validate.Finding{
		{Severity: validate.Warning, Code: validate.CodeUnknownKey, Release: "prom", Pos: pos,
			Path: []string{"server", "service", "port"}, Message: "chart prometheus does not use this key, so it changes nothing",
			Suggestion: []string{"server", "service", "servicePort"}},
		{Severity: validate.Warning, Code: validate.CodeUnknownKey, Release: "prom", Pos: pos,
			Path: []string{"server", "enabled"}, Message: "chart prometheus does not use this key, so it changes nothing"},
		{Severity: validate.Info, Code: validate.CodeNoEffect, Release: "prom", Pos: pos,
			Path: []string{"server", "ingress", "hosts"}, Message: "has no effect while server.ingress.enabled is false"},
	}}
	var out bytes.Buffer
	writeFindingsText(&out, rep, palette{})
	lines := strings.Split(out.String(), "\n")
	for i, want := range map[int]string{
		1: "server.service.port: chart prometheus does not use this key, so it changes nothing; did you mean server.service.servicePort? [unknown-key]",
		2: "server.enabled: chart prometheus does not use this key, so it changes nothing; no close key [unknown-key]",
		3: "server.ingress.hosts: has no effect while server.ingress.enabled is false [no-effect]",
	} {
		if i >= len(lines) || !strings.HasSuffix(lines[i], want) {
			t.Errorf("line %d does not end with %q:\n%s", i, want, out.String())
		}
	}
}
