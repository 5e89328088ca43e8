package validate

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/spec"
)

// TestParseTemplateError renders real template mistakes with Helm's engine and checks that
// the error is taken apart into the template's file:line and Helm's message.
func TestParseTemplateError(t *testing.T) {
	helpers := `{{- define "web.host" -}}
{{ .Values.db.primary.host }}
{{- end -}}
`
	cases := []struct {
		name, tpl string
		pos       spec.Pos
		message   string
	}{
		{"nil pointer", "a: {{ .Values.foo.bar.baz }}\n",
			spec.Pos{File: "web/templates/x.yaml", Line: 2, Column: 13},
			`executing "web/templates/x.yaml" at <.Values.foo.bar.baz>: nil pointer evaluating interface {}.bar`},
		{"in a named template", "a: {{ include \"web.host\" . }}\n",
			spec.Pos{File: "web/templates/_helpers.tpl", Line: 2, Column: 10},
			`executing "web.host" at <.Values.db.primary.host>: nil pointer evaluating interface {}.primary (called from web/templates/x.yaml:2:6)`},
		{"fail", "a: {{ fail \"boom\" }}\n",
			spec.Pos{File: "web/templates/x.yaml", Line: 2, Column: 6}, "boom"},
		{"required", "a: {{ required \"host is required\" .Values.host }}\n",
			spec.Pos{File: "web/templates/x.yaml", Line: 2, Column: 6}, "host is required"},
		{"parse error", "a: {{ if }}\n",
			spec.Pos{File: "web/templates/x.yaml", Line: 2}, "missing value for if"},
		{"unknown function", "a: {{ nosuch 1 }}\n",
			spec.Pos{File: "web/templates/x.yaml", Line: 2}, `function "nosuch" not defined`},
		{"wrong type", "a: {{ .Values.list | first | upper }}\n",
			spec.Pos{File: "web/templates/x.yaml", Line: 2, Column: 29},
			`executing "web/templates/x.yaml" at <upper>: wrong type for value; expected string; got int`},
	}
	r, err := render.New(render.Options{Deterministic: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := &chartv2.Chart{
				Metadata: &chartv2.Metadata{Name: "web", Version: "0.1.0", APIVersion: "v2"},
				Templates: []*common.File{
					{Name: "templates/x.yaml", Data: []byte("# line 1\n" + c.tpl)},
					{Name: "templates/_helpers.tpl", Data: []byte(helpers)},
				},
				Values: map[string]any{"list": []any{1}},
			}
			_, err := r.Render(context.Background(), ch, nil)
			if err == nil {
				t.Fatal("the template rendered")
			}
			te, ok := parseTemplateError(err)
			if !ok {
				t.Fatalf("not parsed: %q", err)
			}
			if te.pos != c.pos || te.message != c.message {
				t.Errorf("got %s %q\nwant %s %q\nfrom %q", te.pos, te.message, c.pos, c.message, err)
			}
		})
	}
}

func TestParseTemplateErrorOther(t *testing.T) {
	for _, err := range []error{
		errors.New("chart web requires kubeVersion >=1.30, which is incompatible with Kubernetes v1.20.0"),
		fmt.Errorf("render chart web: %w", errors.New("rendering template failed: runtime error")),
	} {
		if te, ok := parseTemplateError(err); ok {
			t.Errorf("%q parsed as a template error: %+v", err, te)
		}
	}
}
