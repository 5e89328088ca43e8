package helmfile

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// pair is one key of a YAML mapping and its value.
type pair struct {
	key   string
	keyN  *yaml.Node
	value *yaml.Node
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// pairs returns the keys of a mapping in order, with YAML merge keys (<<: *anchor, as helmfile
// release templates use) expanded: merged keys come first, and keys written in the mapping
// itself replace merged ones. It returns nil when n is not a mapping.
func pairs(n *yaml.Node) []pair {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var merged, own []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" || (k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style == 0) {
			sources := []*yaml.Node{v}
			if d := deref(v); d != nil && d.Kind == yaml.SequenceNode {
				sources = d.Content
			}
			for _, s := range sources {
				merged = overlay(merged, pairs(s))
			}
			continue
		}
		own = append(own, pair{key: k.Value, keyN: k, value: v})
	}
	return overlay(merged, own)
}

// overlay returns base with the keys of top added, a key of top replacing the same key of base
// where it was.
func overlay(base, top []pair) []pair {
	out := append([]pair(nil), base...)
	for _, p := range top {
		replaced := false
		for i := range out {
			if out[i].key == p.key {
				out[i], replaced = p, true
				break
			}
		}
		if !replaced {
			out = append(out, p)
		}
	}
	return out
}

// items returns the elements of a sequence, or nil when n is not one.
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// isNull reports whether n is missing or a YAML null.
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// isEmpty reports whether n says nothing: null, false, an empty string, list or mapping.
func isEmpty(n *yaml.Node) bool {
	n = deref(n)
	switch {
	case isNull(n):
		return true
	case n.Kind == yaml.ScalarNode:
		return n.Value == "" || (n.Tag == "!!bool" && strings.EqualFold(n.Value, "false"))
	default:
		return len(n.Content) == 0
	}
}

// scalar returns the text of a scalar node and whether n is one.
func scalar(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", false
	}
	return n.Value, true
}

// boolean reads a YAML boolean; helmfile also takes the strings true and false.
func boolean(n *yaml.Node) (bool, error) {
	s, ok := scalar(n)
	if ok {
		if b, err := strconv.ParseBool(strings.ToLower(s)); err == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("%s is not true or false", describe(n))
}

// integer reads a whole number.
func integer(n *yaml.Node) (int, error) {
	s, ok := scalar(n)
	if ok {
		if i, err := strconv.Atoi(s); err == nil {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s is not a whole number", describe(n))
}

// describe shows a node in a message.
func describe(n *yaml.Node) string {
	n = deref(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.ScalarNode:
		return strconv.Quote(n.Value)
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	}
	return "a value"
}

// lastLine returns the last line that n or anything in it is written on.
func lastLine(n *yaml.Node) int {
	last := n.Line
	for _, c := range n.Content {
		if l := lastLine(c); l > last {
			last = l
		}
	}
	return last
}

// plain decodes n into maps, lists and scalars, with string keys, and the template actions put
// back where the helmfile had them.
func (r *reader) plain(n *yaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return r.normalise(v), nil
}

func (r *reader) normalise(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[r.tpl.restore(k)] = r.normalise(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[r.tpl.restore(fmt.Sprint(k))] = r.normalise(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = r.normalise(e)
		}
		return out
	case string:
		return r.tpl.restore(v)
	}
	return v
}

// mergeValues merges src over dst as Helm merges values files: mappings key by key, anything
// else replaced.
func mergeValues(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = mergeValues(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// scalarNode returns a scalar's text with templates restored, or "" for anything else.
func (r *reader) scalarNode(n *yaml.Node) string {
	s, _ := scalar(n)
	return r.tpl.restore(s)
}
