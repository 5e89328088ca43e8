package spec

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Pos returns the position in kaji.yaml of the node at path. Each element of path is a mapping
// key (string) or a list index (int), as in d.Pos("releases", 2, "needs", 0) or
// d.Pos("releases", 0, "values", "controller", "replicaCount"). When the last element is a
// mapping key, the key's position is returned. When the path does not exist, the position of
// the deepest node that does is returned, so a missing field points at its parent; use Lookup to
// tell the two apart.
func (d *Document) Pos(path ...any) Pos {
	p, _ := d.Lookup(path...)
	return p
}

// Lookup is Pos that also reports whether the whole path exists.
func (d *Document) Lookup(path ...any) (Pos, bool) {
	return locate(d.name, d.root, path)
}

func locate(file string, root *yaml.Node, path []any) (Pos, bool) {
	if root == nil {
		return Pos{File: file}, false
	}
	cur := root
	best := nodePos(file, cur)
	for _, el := range path {
		cur = deref(cur)
		switch el := el.(type) {
		case string:
			if cur.Kind != yaml.MappingNode {
				return best, false
			}
			key, value := findKey(cur, el)
			if key == nil {
				return best, false
			}
			best, cur = nodePos(file, key), value
		case int:
			if cur.Kind != yaml.SequenceNode || el < 0 || el >= len(cur.Content) {
				return best, false
			}
			cur = cur.Content[el]
			best = nodePos(file, cur)
		default:
			return best, false
		}
	}
	return best, true
}

func nodePos(file string, n *yaml.Node) Pos {
	return Pos{File: file, Line: n.Line, Column: n.Column}
}

// deref follows aliases to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// pair is one key and value of a mapping. Merged is set for pairs that come from a merge key
// (<<: *anchor) rather than being written in the mapping itself.
type pair struct {
	Key, Value *yaml.Node
	Merged     bool
}

// pairs lists the entries of a mapping node: its own first, in order, then those brought in by
// merge keys, which YAML gives lower precedence. Merge values that are not mappings are skipped;
// the decoder reports them.
func pairs(m *yaml.Node) []pair {
	var own, merged []pair
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !isMergeKey(k) {
			own = append(own, pair{Key: k, Value: v})
			continue
		}
		for _, src := range mergeSources(v) {
			for _, p := range pairs(src) {
				p.Merged = true
				merged = append(merged, p)
			}
		}
	}
	return append(own, merged...)
}

// mergeSources returns the mappings a merge key's value refers to, or nil when the value is not
// a mapping or a list of mappings.
func mergeSources(v *yaml.Node) []*yaml.Node {
	v = deref(v)
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, item := range v.Content {
			item = deref(item)
			if item.Kind != yaml.MappingNode {
				return nil
			}
			out = append(out, item)
		}
		return out
	}
	return nil
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge"
}

// findKey returns the key and value nodes of key in mapping m, honouring merge keys.
func findKey(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	for _, p := range pairs(m) {
		if k := deref(p.Key); k.Kind == yaml.ScalarNode && k.Value == key {
			return p.Key, p.Value
		}
	}
	return nil, nil
}

// path is a field path into kaji.yaml: mapping keys (string) and list indexes (int).
type path []any

// with returns a copy of p extended by els; it never shares p's backing array.
func (p path) with(els ...any) path {
	out := make(path, 0, len(p)+len(els))
	return append(append(out, p...), els...)
}

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// String formats p the way problems show it: releases[2].needs[0], environments.prod.cluster.
// Keys that are not plain words are quoted: releases["a.b"].
func (p path) String() string {
	var b strings.Builder
	for _, el := range p {
		switch el := el.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", el)
		case string:
			switch {
			case !plainKey.MatchString(el):
				fmt.Fprintf(&b, "[%q]", el)
			case b.Len() > 0:
				b.WriteString(".")
				b.WriteString(el)
			default:
				b.WriteString(el)
			}
		}
	}
	return b.String()
}
