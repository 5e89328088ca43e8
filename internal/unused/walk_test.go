package unused

import (
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/render"
)

// testChart builds a chart from its name, default values and template texts.
func testChart(name string, defaults map[string]any, templates map[string]string) *chartv2.Chart {
	ch := &chartv2.Chart{
		Metadata: &chartv2.Metadata{APIVersion: "v2", Name: name, Version: "1.0.0"},
		Values:   defaults,
	}
	for file, text := range templates {
		ch.Templates = append(ch.Templates, &common.File{Name: file, Data: []byte(text)})
	}
	return ch
}

// walked walks the templates of ch and decides their references for the user's values vals.
func walked(t *testing.T, ch *chartv2.Chart, vals map[string]any) (*chartModel, *refState) {
	t.Helper()
	m, err := buildModel(ch)
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(render.Options{Deterministic: true})
	if err != nil {
		t.Fatal(err)
	}
	prep, err := r.Prepare(ch, vals)
	if err != nil {
		t.Fatal(err)
	}
	return m, evaluate(m, prep)
}

// refAt describes the strongest reference at a path, whole before dynamic before read, and
// whether one such reference is live: "whole:live", "dyn:dead", "read:live" or "none".
func refAt(st *refState, path string) string {
	var p []string
	if path != "" {
		p = strings.Split(path, ".")
	}
	n := st.idx.at(p)
	if n == nil {
		return "none"
	}
	u := st.uses[n.id]
	for _, k := range []struct {
		name string
		use  use
	}{{"whole", useWhole}, {"dyn", useDynamic}, {"read", useRead}} {
		switch {
		case u[k.use].live > 0:
			return k.name + ":live"
		case u[k.use].dead > 0:
			return k.name + ":dead"
		}
	}
	return "none"
}

func TestWalkReferences(t *testing.T) {
	for _, tc := range []struct {
		name     string
		template string
		defaults map[string]any
		want     map[string]string // path -> refAt
	}{
		{
			name:     "field chains",
			template: `{{ .Values.a.b }} {{ $.Values.c }}`,
			want:     map[string]string{"a.b": "whole:live", "a": "read:live", "c": "whole:live", "b": "none"},
		},
		{
			name:     "a condition reads, printing uses whole",
			template: `{{ if .Values.a }}{{ toYaml .Values.b }}{{ end }}`,
			defaults: map[string]any{"a": true},
			want:     map[string]string{"a": "read:live", "b": "whole:live"},
		},
		{
			name:     "with rebinds dot",
			template: `{{ with .Values.a }}{{ .b }}{{ .c.d | quote }}{{ end }}`,
			defaults: map[string]any{"a": map[string]any{"b": 1}},
			want:     map[string]string{"a": "read:live", "a.b": "whole:live", "a.c.d": "whole:live"},
		},
		{
			name:     "range uses its list whole",
			template: `{{ range .Values.hosts }}{{ .name }}{{ end }}`,
			want:     map[string]string{"hosts": "whole:live", "name": "none"},
		},
		{
			name:     "index and get with literal keys",
			template: `{{ index .Values "a-b" "c" }}{{ get .Values.d "e" }}{{ dig "f" "g" "x" .Values }}`,
			want:     map[string]string{"a-b.c": "whole:live", "d.e": "whole:live", "f.g": "whole:live"},
		},
		{
			name:     "index with a computed key is a dynamic lookup",
			template: `{{ range .Values.names }}{{ index $.Values.m . }}{{ end }}{{ $k := "x" }}{{ index .Values.n $k }}`,
			defaults: map[string]any{"names": []any{"a"}},
			want:     map[string]string{"m": "dyn:live", "n.x": "whole:live", "n": "read:live"},
		},
		{
			name:     "variables",
			template: `{{ $v := .Values.a }}{{ $v.b }}{{ $w := $v.c }}{{ $w.d }}`,
			want:     map[string]string{"a": "read:live", "a.b": "whole:live", "a.c.d": "whole:live"},
		},
		{
			name: "named templates called with the root context",
			template: `{{ define "h" }}{{ .Values.a }}{{ end }}{{ define "g" }}{{ $.Values.b }}{{ end }}` +
				`{{ include "h" . }}{{ template "g" $ }}`,
			want: map[string]string{"a": "whole:live", "b": "whole:live"},
		},
		{
			name: "named templates called with a dict",
			template: `{{ define "img" }}{{ .image.repo }}:{{ .ctx.Values.tag }}{{ end }}` +
				`{{ include "img" (dict "image" .Values.image "ctx" $) }}`,
			want: map[string]string{"image.repo": "whole:live", "image": "read:live", "tag": "whole:live"},
		},
		{
			name:     "a lost context's .Values is the calling chart's",
			template: `{{ define "h" }}{{ .root.Values.a }}{{ end }}{{ include "h" (merge (dict) (dict "root" $)) }}`,
			want:     map[string]string{"a": "whole:live"},
		},
		{
			name:     "a template name built from .Chart.Name",
			template: `{{ define "test.x" }}{{ .Values.a }}{{ end }}{{ include (printf "%s.x" .Chart.Name) . }}`,
			want:     map[string]string{"a": "whole:live"},
		},
		{
			name:     "default passes its value through",
			template: `{{ default (dict) .Values.a | toYaml }}{{ if default false .Values.b }}{{ end }}`,
			want:     map[string]string{"a": "whole:live", "b": "read:live"},
		},
		{
			name:     "serializing the root context uses all values",
			template: `{{ toYaml . }}`,
			want:     map[string]string{"": "whole:live"},
		},
		{
			name:     "tpl with the root context does not",
			template: `{{ tpl .Values.t $ }}`,
			want:     map[string]string{"": "none", "t": "whole:live"},
		},
		{
			name:     "hasKey reads the key",
			template: `{{ if hasKey .Values.a "b" }}{{ end }}`,
			want:     map[string]string{"a.b": "read:live"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defaults := tc.defaults
			if defaults == nil {
				defaults = map[string]any{}
			}
			ch := testChart("test", defaults, map[string]string{"templates/t.yaml": tc.template})
			_, refs := walked(t, ch, nil)
			for path, want := range tc.want {
				if got := refAt(refs, path); got != want {
					t.Errorf("%q: %s, want %s", path, got, want)
				}
			}
		})
	}
}

// TestWalkGates checks which code the walk finds dead with the values at hand, and which key
// it blames.
func TestWalkGates(t *testing.T) {
	tpl := `
{{- if .Values.ingress.enabled }}{{ .Values.ingress.hosts }}{{ end }}
{{- if and .Values.a .Values.b }}{{ .Values.inAnd }}{{ end }}
{{- if not .Values.c }}{{ .Values.inNot }}{{ else }}{{ .Values.inNotElse }}{{ end }}
{{- if eq .Values.kind "Deployment" }}{{ .Values.inDeployment }}{{ end }}
{{- with .Values.empty }}{{ .x }}{{ end }}
{{- range .Values.none }}{{ $.Values.inRange }}{{ end }}
{{- if include "unknown" . }}{{ .Values.unknownCond }}{{ end }}
{{- define "called" }}{{ .Values.inCalled }}{{ end }}
{{- if .Values.ingress.enabled }}{{ include "called" . }}{{ end }}`
	defaults := map[string]any{
		"ingress": map[string]any{"enabled": false, "hosts": []any{}},
		"a":       true, "b": false, "c": true, "kind": "DaemonSet",
		"empty": map[string]any{}, "none": []any{},
	}
	ch := testChart("test", defaults, map[string]string{"templates/t.yaml": tpl})
	_, refs := walked(t, ch, nil)
	for path, want := range map[string]struct {
		state string
		gate  []string
	}{
		"ingress.hosts": {"whole:dead", p("ingress", "enabled")},
		"inAnd":         {"whole:dead", p("b")},
		"inNot":         {"whole:dead", p("c")},
		"inNotElse":     {"whole:live", nil},
		"inDeployment":  {"whole:dead", p("kind")},
		"empty.x":       {"whole:dead", p("empty")},
		"inRange":       {"whole:dead", p("none")},
		"unknownCond":   {"whole:live", nil},
		"inCalled":      {"whole:dead", p("ingress", "enabled")},
	} {
		if got := refAt(refs, path); got != want.state {
			t.Errorf("%s: %s, want %s", path, got, want.state)
		}
		cov := refs.covering(strings.Split(path, "."))
		if got := cov.gate(); !slices.Equal(got, want.gate) {
			t.Errorf("%s: gate %q, want %q", path, got, want.gate)
		}
	}
	if lits := refs.idx.probesAt(p("kind")); !slices.Contains(lits, any("Deployment")) {
		t.Errorf("probes of kind: %v, want Deployment among them", lits)
	}

	// With other values the same code is live.
	_, refs = walked(t, ch, map[string]any{"ingress": map[string]any{"enabled": true}, "kind": "Deployment"})
	for _, path := range []string{"ingress.hosts", "inCalled", "inDeployment"} {
		if got := refAt(refs, path); got != "whole:live" {
			t.Errorf("enabled: %s: %s, want whole:live", path, got)
		}
	}
}

// TestWalkSubcharts checks that a subchart's references land under its name, that its globals
// also count at the top level, and that a disabled subchart is dead code gated by its
// condition.
func TestWalkSubcharts(t *testing.T) {
	sub := testChart("sub", map[string]any{"port": 80}, map[string]string{
		"templates/svc.yaml": `{{ .Values.port }} {{ .Values.global.region }}`,
	})
	parent := testChart("parent", map[string]any{"sub": map[string]any{"enabled": true}}, map[string]string{
		"templates/cm.yaml": `{{ index .Values "sub" "port" }}`,
	})
	parent.Metadata.Dependencies = []*chartv2.Dependency{{Name: "sub", Version: "1.0.0", Condition: "sub.enabled"}}
	parent.SetDependencies(sub)

	m, refs := walked(t, parent, nil)
	for path, want := range map[string]string{
		"sub.port":          "whole:live",
		"sub.global.region": "whole:live",
		"global.region":     "whole:live",
		"sub.enabled":       "read:live",
	} {
		if got := refAt(refs, path); got != want {
			t.Errorf("enabled: %s: %s, want %s", path, got, want)
		}
	}
	if got := m.scopeOf(p("sub", "port")).label(); got != "parent/sub" {
		t.Errorf("scope of sub.port: %s", got)
	}

	_, refs = walked(t, parent, map[string]any{"sub": map[string]any{"enabled": false}})
	if got := refAt(refs, "sub.global.region"); got != "whole:dead" {
		t.Errorf("disabled: sub.global.region: %s, want whole:dead", got)
	}
	if got := refs.covering(p("sub", "global", "region")).gate(); !slices.Equal(got, p("sub", "enabled")) {
		t.Errorf("disabled: gate %q, want sub.enabled", got)
	}
	// The parent's own template still reads sub.port.
	if got := refAt(refs, "sub.port"); got != "whole:live" {
		t.Errorf("disabled: sub.port: %s, want whole:live (the parent prints it)", got)
	}
}

// TestWalkRecursion checks that a named template calling itself with an ever larger argument
// ends, and that the references on the way are recorded.
func TestWalkRecursion(t *testing.T) {
	tpl := `{{ define "r" }}{{ .node.name }}{{ range .node.children }}{{ include "r" (dict "node" . "parent" $) }}{{ end }}{{ end }}` +
		`{{ include "r" (dict "node" .Values.tree "parent" $) }}`
	ch := testChart("test", map[string]any{"tree": map[string]any{"name": "a", "children": []any{map[string]any{"name": "b"}}}},
		map[string]string{"templates/t.yaml": tpl})
	_, refs := walked(t, ch, nil)
	if got := refAt(refs, "tree.name"); got != "whole:live" {
		t.Errorf("tree.name: %s", got)
	}
	if got := refAt(refs, "tree.children"); got != "whole:live" {
		t.Errorf("tree.children: %s", got)
	}
}
