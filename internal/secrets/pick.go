package secrets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"sigs.k8s.io/yaml"
)

// pickKey returns the value at key inside doc, a JSON (or YAML) document, or doc itself
// when key is nil. On failure it returns kaji's error code and a message that names keys
// and types only, never content of doc.
func pickKey(doc string, key []string) (string, string, string) {
	if key == nil {
		return doc, "", ""
	}
	data, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		return "", "NotJSON", "the value is neither JSON nor YAML, so #" + keyPointer(key) + " cannot pick a key in it"
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", "NotJSON", "the value is neither JSON nor YAML, so #" + keyPointer(key) + " cannot pick a key in it"
	}
	for i, k := range key {
		at := keyPointer(key[:i])
		if at == "" {
			at = "the top level"
		}
		switch node := v.(type) {
		case map[string]any:
			next, ok := node[k]
			if !ok {
				return "", "KeyNotFound", fmt.Sprintf("there is no key %q at %s", k, at)
			}
			v = next
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n < 0 || n >= len(node) {
				return "", "KeyNotFound", fmt.Sprintf("%s is a list of %d and %q is not an index in it", at, len(node), k)
			}
			v = node[n]
		default:
			return "", "KeyNotFound", fmt.Sprintf("%s is %s, not an object, so it has no key %q", at, kindOf(node), k)
		}
	}
	switch v := v.(type) {
	case string:
		return v, "", ""
	case json.Number:
		return v.String(), "", ""
	case bool:
		return strconv.FormatBool(v), "", ""
	}
	return "", "NotAString", fmt.Sprintf("#%s is %s; point at a string, a number or a boolean", keyPointer(key), kindOf(v))
}

func keyPointer(key []string) string { return Ref{Key: key}.KeyPointer() }

func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case nil:
		return "null"
	case string:
		return "a string"
	}
	return "a scalar"
}
