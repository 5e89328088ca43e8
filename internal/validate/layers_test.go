package validate

import (
	"bytes"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
)

func TestYAMLError(t *testing.T) {
	cases := []struct {
		name, text string
		line       int
		message    string
	}{
		{"fine", "a: 1\n---\nb: 2\n", 0, ""},
		{"bad indentation", "a: 1\nb:\n  c: 1\n d: 2\n", 3, "invalid YAML: did not find expected key"},
		{"in the second document", "a: 1\n---\n# second\nx: 1\n  y: 2\n", 5, "invalid YAML: mapping values are not allowed in this context"},
		{"after a leading separator", "---\na: 1\n---\nb: [\n", 4, "invalid YAML: did not find expected node content"},
		{"tab", "a:\n\tb: 1\n", 2, "invalid YAML: found character that cannot start any token"},
		{"a list", "a: 1\n---\n- 1\n- 2\n", 3, "the values file must hold a mapping of keys to values: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}"},
		{"bad separator", "a: 1\n--- b: 2\n", 2, "invalid document separator: b: 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			line, msg := yamlError([]byte(c.text))
			if line != c.line || msg != c.message {
				t.Errorf("got %d %q, want %d %q", line, msg, c.line, c.message)
			}
			// yamlError must agree with Helm about whether the file reads.
			_, err := loader.LoadValues(bytes.NewReader([]byte(c.text)))
			if (err != nil) != (msg != "") {
				t.Errorf("Helm says %v, yamlError says %q", err, msg)
			}
		})
	}
}

func TestLocateIn(t *testing.T) {
	text := `base: &base
  port: 80
  host: a
web:
  <<: *base
  host: b
  list:
    - name: x
    - name: y
dup: 1
dup: 2
---
web:
  replicas: 3
`
	docs := yamlDocs([]byte(text))
	cases := []struct {
		path      []string
		line, col int
		ok        bool
	}{
		{[]string{"web", "host"}, 6, 3, true},              // the key written wins over the merged one
		{[]string{"web", "port"}, 2, 3, true},              // brought in by the merge key
		{[]string{"web", "list", "1", "name"}, 9, 7, true}, // through a list
		{[]string{"web", "replicas"}, 14, 3, true},         // in the later document
		{[]string{"dup"}, 11, 1, true},                     // the later duplicate, as Helm reads it
		{[]string{"web", "nope", "deeper"}, 13, 1, false},  // the deepest part found
		{[]string{"nothing"}, 0, 0, false},
	}
	for _, c := range cases {
		line, col, ok := locateIn(docs, c.path)
		if line != c.line || col != c.col || ok != c.ok {
			t.Errorf("%v: got %d:%d %v, want %d:%d %v", c.path, line, col, ok, c.line, c.col, c.ok)
		}
	}
	if yamlDocs([]byte("a: [\n")) != nil {
		t.Error("a file that does not parse has documents")
	}
}

func TestWinner(t *testing.T) {
	low := &layer{file: "low", vals: map[string]any{"a": map[string]any{"b": 1, "c": 2}, "l": []any{map[string]any{"x": 1}}}}
	high := &layer{file: "high", vals: map[string]any{"a": map[string]any{"b": 3}}}
	layers := []*layer{low, high}
	cases := []struct {
		path []string
		want *layer
	}{
		{[]string{"a", "b"}, high},
		{[]string{"a", "c"}, low},
		{[]string{"a"}, high},
		{[]string{"l", "0", "x"}, low},
		{[]string{"l", "1"}, nil},
		{[]string{"z"}, nil},
	}
	for _, c := range cases {
		if got := winner(layers, c.path); got != c.want {
			t.Errorf("%v: got %v, want %v", c.path, got, c.want)
		}
	}
}
