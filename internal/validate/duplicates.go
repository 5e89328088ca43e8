package validate

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"

	"kaji.dev/kaji/internal/spec"
)

// duplicateKeys reports the keys that a values file writes twice in one mapping, at the one
// Helm drops, naming the line of the one it keeps. Inline values in kaji.yaml are checked when
// kaji.yaml is decoded.
func duplicateKeys(release string, layers []*layer) []Finding {
	var out []Finding
	for _, l := range layers {
		if l.file == "" {
			continue
		}
		for _, doc := range l.docs {
			walkDuplicates(doc, nil, map[*yaml.Node]bool{}, func(path []string, first, last *yaml.Node) {
				out = append(out, Finding{
					Severity: Warning, Code: CodeDuplicateKey, Release: release, Path: path,
					Pos: spec.Pos{File: l.file, Line: first.Line, Column: first.Column},
					Message: fmt.Sprintf("this key is written again at line %d, and Helm keeps only that one: "+
						"what is set here is dropped; merge the two into one", last.Line),
				})
			})
		}
	}
	return out
}

// walkDuplicates calls dup for every key of a mapping below n that the same mapping writes
// again later, with the first and the last of them. Keys merged in from an anchor (<<) may be
// overridden, as YAML specifies; aliases are not followed.
func walkDuplicates(n *yaml.Node, path []string, seen map[*yaml.Node]bool, dup func(path []string, first, last *yaml.Node)) {
	if n == nil || seen[n] {
		return
	}
	seen[n] = true
	switch n.Kind {
	case yaml.MappingNode:
		last := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Tag != "!!merge" {
				last[k.Value] = k
			}
		}
		reported := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				continue
			}
			p := append(path[:len(path):len(path)], k.Value)
			if l := last[k.Value]; l != k && !reported[k.Value] {
				reported[k.Value] = true
				dup(p, k, l)
			}
			walkDuplicates(v, p, seen, dup)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			walkDuplicates(item, append(path[:len(path):len(path)], strconv.Itoa(i)), seen, dup)
		}
	}
}
