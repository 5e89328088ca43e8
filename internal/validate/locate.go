package validate

import (
	"bytes"
	"errors"
	"io"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// yamlDocs parses every document of a values file with positions. It returns nil when
// go.yaml.in/yaml/v3 cannot parse the file (Helm reads values with another parser, which may
// accept what this one does not); positions are then unknown.
func yamlDocs(data []byte) []*yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			return nil
		}
		if len(n.Content) > 0 {
			docs = append(docs, n.Content[0])
		}
	}
}

// locateIn returns the line and column of the key at path in the documents of a values file:
// in the last document that holds the whole path, since later documents win. When none does,
// it returns the deepest part of the path found, and false.
func locateIn(docs []*yaml.Node, path []string) (line, col int, ok bool) {
	bestDepth := -1
	for i := len(docs) - 1; i >= 0; i-- {
		n, depth := walkNode(docs[i], path)
		if depth == len(path) {
			return n.Line, n.Column, true
		}
		if depth > bestDepth && n != nil {
			bestDepth, line, col = depth, n.Line, n.Column
		}
	}
	return line, col, false
}

// walkNode follows path from the mapping n and returns the node that marks the deepest
// segment found (a mapping key, or a list item) and how many segments were found. With no
// segment found it returns nil and 0.
func walkNode(n *yaml.Node, path []string) (*yaml.Node, int) {
	var mark *yaml.Node
	cur := n
	for i, seg := range path {
		cur = deref(cur)
		switch cur.Kind {
		case yaml.MappingNode:
			k, v := findKey(cur, seg)
			if k == nil {
				return mark, i
			}
			mark, cur = k, v
		case yaml.SequenceNode:
			idx, err := strconv.Atoi(seg)
			if err != nil || idx < 0 || idx >= len(cur.Content) {
				return mark, i
			}
			cur = cur.Content[idx]
			mark = cur
		default:
			return mark, i
		}
	}
	return mark, len(path)
}

// deref follows aliases to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// findKey returns the key and value nodes of key in the mapping m. Keys written in m win over
// keys brought in by a merge key (<<: *anchor), and a later key wins over an earlier one, as
// in Helm's reading.
func findKey(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	var mergedK, mergedV *yaml.Node
	for i := len(m.Content) - 2; i >= 0; i -= 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			if mergedK == nil {
				mergedK, mergedV = findMerged(v, key)
			}
			continue
		}
		if dk := deref(k); dk.Kind == yaml.ScalarNode && dk.Value == key {
			return k, v
		}
	}
	return mergedK, mergedV
}

// findMerged looks for key in the mapping or list of mappings that a merge key brings in;
// earlier mappings of a list win.
func findMerged(v *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	v = deref(v)
	switch v.Kind {
	case yaml.MappingNode:
		return findKey(v, key)
	case yaml.SequenceNode:
		for _, item := range v.Content {
			if item = deref(item); item.Kind == yaml.MappingNode {
				if k, val := findKey(item, key); k != nil {
					return k, val
				}
			}
		}
	}
	return nil, nil
}
