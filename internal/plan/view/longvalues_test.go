package view

import (
	"bytes"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/secrets"
)

// A value longer than a line, with spaces, stays on one line of a diff: the redaction of
// secrets finds a value by its whole text, and a value folded over two lines would escape it.
func TestLongValuesAreNotFoldedInDiffs(t *testing.T) {
	long := strings.TrimSpace(strings.Repeat("correct horse battery staple ", 6))
	reg := secrets.NewRegistry()
	if err := reg.Add(long, "(secret: ref+awsssm:///shop/db/password)"); err != nil {
		t.Fatal(err)
	}
	cm := plan.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "web"}
	p := &plan.Plan{Project: "shop", Time: now, Releases: []plan.Release{{
		Name: "web", Namespace: "apps", State: plan.StateUpgrade, Action: plan.ActionUpgrade, Reason: "values changed",
		Chart: "app", Version: "1.0.0", Revision: 2,
		Changes: []plan.ObjectChange{{Object: cm, Action: plan.ChangeUpdate,
			Diff:    []plan.FieldChange{{Path: "data.password", Op: plan.FieldReplace, Old: "old password", New: long}},
			Live:    map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"password": "old password", "quoted": "it's " + long}},
			Planned: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"password": long, "quoted": "it's " + long}}}},
	}}}
	views := map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return Text(b, p, TextOptions{}) },
		"markdown": func(b *bytes.Buffer) error { return Markdown(b, p, MarkdownOptions{Redact: reg.Redact}) },
	}
	for name, render := range views {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		out := reg.Redact(b.String())
		if !strings.Contains(out, "(secret: ref+awsssm:///shop/db/password)") {
			t.Errorf("%s: the secret's label is not shown:\n%s", name, out)
		}
		for _, word := range []string{"horse", "battery", "staple"} {
			if strings.Contains(out, word) {
				t.Errorf("%s: part of the secret (%q) shows:\n%s", name, word, out)
			}
		}
	}
}
