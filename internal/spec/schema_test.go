package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

const committedSchema = "../../schema/kaji.schema.json"

func TestSchemaUpToDate(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(committedSchema, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(committedSchema)
	if err != nil {
		t.Fatalf("%v; run make schema", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("schema/kaji.schema.json is out of date with the Go types; run make schema")
	}
}

// compileSchema compiles the committed schema the way an editor would load it.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(committedSchema)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlInstance turns YAML into the JSON value a schema validator checks.
func yamlInstance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestSchemaAcceptsValidFiles validates the valid fixtures and the examples against the schema.
func TestSchemaAcceptsValidFiles(t *testing.T) {
	s := compileSchema(t)
	fixtures, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := filepath.Glob("../../examples/*/kaji.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := append(fixtures, examples...)
	if len(fixtures) == 0 {
		t.Fatal("no fixtures in testdata/valid")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(yamlInstance(t, data)); err != nil {
			t.Errorf("%s does not match the schema: %v", file, err)
		}
	}
}

func TestSchemaRejectsBadFiles(t *testing.T) {
	s := compileSchema(t)
	const head = "apiVersion: kaji.dev/v1alpha1\nproject: p\n"
	const release = "releases:\n  - name: web\n    namespace: web\n    chart: ./web\n"
	tests := []struct {
		name  string
		yaml  string
		valid bool
	}{
		{"valid", head + release, true},
		{"free-form values", head + release + "    values:\n      any: {thing: [1, 2]}\n", true},
		{"misspelt top-level field", head + "relases: []\n", false},
		{"unknown release field", head + release + "    colour: blue\n", false},
		{"wrong apiVersion", "apiVersion: kaji.dev/v1\nproject: p\nreleases: []\n", false},
		{"missing project", "apiVersion: kaji.dev/v1alpha1\nreleases: []\n", false},
		{"missing releases", head, false},
		{"release without chart", head + "releases:\n  - name: web\n    namespace: web\n", false},
		{"needs as a string", head + release + "    needs: db\n", false},
		{"createNamespace as a string", head + release + "    createNamespace: \"yes\"\n", false},
		{"unknown override field", head + release + "environments:\n  prod:\n    releases:\n      web:\n        vaules: {}\n", false},
		{"eks without region", head + "cluster:\n  eks:\n    name: c\n" + release, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate(yamlInstance(t, []byte(tt.yaml)))
			if tt.valid && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if !tt.valid && err == nil {
				t.Errorf("accepted:\n%s", tt.yaml)
			}
		})
	}
}

// TestDocsExample loads the test-and-prod example of docs/kaji-yaml.md, so that the reference
// shows a file that kaji and the schema accept.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/kaji-yaml.md")
	if err != nil {
		t.Fatal(err)
	}
	const start = "```yaml\n# yaml-language-server: $schema=./kaji.schema.json\napiVersion:"
	_, rest, ok := strings.Cut(string(doc), start)
	if !ok {
		t.Fatal("docs/kaji-yaml.md has no complete example starting with the modeline")
	}
	body, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("unterminated example in docs/kaji-yaml.md")
	}
	example := []byte(strings.TrimPrefix(start, "```yaml\n") + body)

	if err := compileSchema(t).Validate(yamlInstance(t, example)); err != nil {
		t.Errorf("the example does not match the schema: %v", err)
	}
	dir := t.TempDir()
	for file, content := range map[string]string{
		"kaji.yaml":             string(example),
		"charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"values/web.yaml":       "replicaCount: 1\n",
		"values/web-prod.yaml":  "replicaCount: 2\n",
	} {
		p := filepath.Join(dir, file)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Resolve("prod")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(r.Releases); got != "ingress db web" {
		t.Errorf("order = %s, want ingress db web", got)
	}
}
