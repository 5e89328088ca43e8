package validate

import (
	"slices"
	"strings"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"kaji.dev/kaji/internal/render"
)

func TestSchemaViolations(t *testing.T) {
	schema := []byte(`{
  "type": "object",
  "required": ["name"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string"},
    "port": {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}]},
    "mode": {"enum": ["a", "b"]},
    "ref": {"$ref": "#/$defs/positive"},
    "sub": {"type": "object"}
  },
  "$defs": {"positive": {"type": "integer", "minimum": 1}}
}`)
	subSchema := []byte(`{"properties": {"size": {"type": "integer"}}}`)
	sub := &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "sub"}, Schema: subSchema}
	ch := &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "top"}, Schema: schema}
	ch.SetDependencies(sub)
	vals := map[string]any{
		"port":  "x1",
		"mode":  "c",
		"ref":   0,
		"extra": true,
		"sub":   map[string]any{"size": "big"},
	}
	var s schemas
	var got []violation
	s.violations(ch, vals, []string{"root"}, &got)
	want := []struct {
		chart, path, message string
	}{
		{"top", "root.extra", "is not allowed"},
		{"top", "root.mode", "value must be one of 'a', 'b'"},
		{"top", "root.name", "is required"},
		{"top", "root.port", "'anyOf' failed: got string, want integer; 'x1' does not match pattern '^[0-9]+$'"},
		{"top", "root.ref", "minimum: got 0, want 1"},
		{"sub", "root.sub.size", "got string, want integer"},
	}
	slices.SortFunc(got, func(a, b violation) int { return strings.Compare(a.chart+KeyPath(a.path), b.chart+KeyPath(b.path)) })
	slices.SortFunc(want, func(a, b struct{ chart, path, message string }) int {
		return strings.Compare(a.chart+a.path, b.chart+b.path)
	})
	if len(got) != len(want) {
		t.Fatalf("%d violations, want %d: %+v", len(got), len(want), got)
	}
	for i, v := range got {
		w := want[i]
		if v.chart != w.chart || KeyPath(v.path) != w.path || !strings.HasPrefix(v.message, w.message) {
			t.Errorf("violation %d: %s %s %q, want %s %s %q...", i, v.chart, KeyPath(v.path), v.message, w.chart, w.path, w.message)
		}
	}
	// The same schema compiles once.
	s.violations(ch, vals, nil, &got)
	if len(s.m) != 2 {
		t.Errorf("%d schemas compiled, want 2", len(s.m))
	}
}

func TestSchemaThatIsNotJSON(t *testing.T) {
	var s schemas
	got := s.validate([]byte("{not json"), map[string]any{})
	if len(got) != 1 || !strings.Contains(got[0].message, "not a usable schema") {
		t.Errorf("got %+v", got)
	}
}

// TestSchemaAgreesWithHelm checks that the schema check fails exactly when Helm's own
// validation (render.ValidateSchema) fails, for the chart of testdata/project with its
// subchart, with values that break each schema and values that break none.
func TestSchemaAgreesWithHelm(t *testing.T) {
	ch, err := loader.LoadDir("testdata/project/charts/app")
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(render.Options{Deterministic: true})
	if err != nil {
		t.Fatal(err)
	}
	cases := []map[string]any{
		{"sub": map[string]any{"name": "x"}},
		{"sub": map[string]any{"name": "x"}, "replicaCount": "two"},
		{"sub": map[string]any{"name": "x", "port": "80"}},
		{"sub": map[string]any{"enabled": false}, "env": []any{map[string]any{"name": "A", "value": "1"}}},
		{"env": []any{map[string]any{"name": 1}}},
		{},
	}
	for i, vals := range cases {
		prep, err := r.Prepare(ch, vals)
		if err != nil {
			t.Fatal(err)
		}
		var s schemas
		var got []violation
		s.violations(prep.Chart, map[string]any(prep.Values), nil, &got)
		helm := r.ValidateSchema(ch, vals)
		if (len(got) > 0) != (helm != nil) {
			t.Errorf("case %d: %d violations %+v, Helm says %v", i, len(got), got, helm)
		}
	}
}
