package unused

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// staticNode is one key that the defaults or a schema declare, or that Helm reads.
type staticNode struct {
	kids map[string]*staticNode
	// inDefaults: some chart's values.yaml has the key. defaultKids: in some of them it is a
	// map with keys. A key in the defaults without keys below (an empty map, a list, a scalar,
	// null) takes any content.
	inDefaults, defaultKids bool
	// inSchema: a values.schema.json declares the key. schemaOpen: the schema allows keys below
	// that it does not list (an object without properties, additional or pattern properties).
	inSchema, schemaOpen bool
	// helmRead: Helm reads the key itself, as a dependency's condition or tag.
	helmRead bool
}

func (n *staticNode) child(k string) *staticNode {
	if n == nil {
		return nil
	}
	return n.kids[k]
}

// node returns the node at p, creating it and its ancestors.
func (n *staticNode) node(p []string) *staticNode {
	for _, k := range p {
		c, ok := n.kids[k]
		if !ok {
			if n.kids == nil {
				n.kids = map[string]*staticNode{}
			}
			c = &staticNode{}
			n.kids[k] = c
		}
		n = c
	}
	return n
}

// freeForm reports whether the defaults or a schema let this key hold keys they do not name.
func (n *staticNode) freeForm() bool {
	return n != nil && (n.inDefaults && !n.defaultKids || n.schemaOpen)
}

// addValues records the keys of a chart's default values at prefix. The globals of a subchart
// are also recorded at the top level, where the user sets them.
func (n *staticNode) addValues(prefix []string, vals map[string]any, sub bool) {
	var add func(at *staticNode, m map[string]any)
	add = func(at *staticNode, m map[string]any) {
		for k, v := range m {
			c := at.node([]string{k})
			c.inDefaults = true
			if vm, ok := v.(map[string]any); ok && len(vm) > 0 {
				c.defaultKids = true
				add(c, vm)
			}
		}
	}
	add(n.node(prefix), vals)
	if g, ok := vals["global"].(map[string]any); ok && sub {
		add(n.node([]string{"global"}), g)
	}
}

// addSchema records the properties that a values.schema.json declares at prefix. Only local
// references ("#/...") are followed; anything else counts as open.
func (n *staticNode) addSchema(prefix []string, raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("parse values.schema.json: %w", err)
	}
	var add func(at *staticNode, s any, depth int)
	add = func(at *staticNode, s any, depth int) {
		props, open := schemaProperties(doc, s, 0)
		if open {
			at.schemaOpen = true
		}
		if depth > 32 {
			at.schemaOpen = true
			return
		}
		for k, ps := range props {
			c := at.node([]string{k})
			c.inSchema = true
			add(c, ps, depth+1)
		}
	}
	add(n.node(prefix), doc, 0)
	return nil
}

// schemaProperties returns the properties that schema s declares, merged over its
// allOf/anyOf/oneOf branches and local references, and whether s allows other keys too.
func schemaProperties(doc, s any, depth int) (map[string]any, bool) {
	m, ok := s.(map[string]any)
	if !ok || depth > 32 {
		return nil, true // `true`, or a schema too deep to follow: anything goes
	}
	props := map[string]any{}
	open := false
	if ref, ok := m["$ref"].(string); ok {
		target, found := resolvePointer(doc, ref)
		if !found {
			return nil, true
		}
		p, o := schemaProperties(doc, target, depth+1)
		for k, v := range p {
			props[k] = v
		}
		open = open || o
	}
	if p, ok := m["properties"].(map[string]any); ok {
		for k, v := range p {
			props[k] = v
		}
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf"} {
		list, _ := m[key].([]any)
		for _, sub := range list {
			p, o := schemaProperties(doc, sub, depth+1)
			for k, v := range p {
				props[k] = v
			}
			open = open || o && len(p) == 0 && isObjectSchema(sub)
		}
	}
	if _, ok := m["patternProperties"]; ok {
		open = true
	}
	// "additionalProperties": true only turns the schema check off for keys it does not list
	// (external-dns puts it at the top): it does not say the chart reads them. A schema for the
	// other keys (a map of strings) does say that they are content.
	switch ap := m["additionalProperties"].(type) {
	case bool:
		open = open || ap && len(props) == 0 && m["$ref"] == nil
	case map[string]any:
		open = true
	}
	if len(props) == 0 && m["$ref"] == nil && isObjectSchema(m) {
		open = true
	}
	return props, open
}

// isObjectSchema reports whether a schema may describe a map: its type is object or unset.
func isObjectSchema(s any) bool {
	m, ok := s.(map[string]any)
	if !ok {
		return true
	}
	switch t := m["type"].(type) {
	case nil:
		return true
	case string:
		return t == "object"
	case []any:
		for _, e := range t {
			if e == "object" {
				return true
			}
		}
	}
	return false
}

// resolvePointer follows a local JSON pointer reference such as "#/definitions/image".
func resolvePointer(doc any, ref string) (any, bool) {
	if !strings.HasPrefix(ref, "#") {
		return nil, false
	}
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ref[1:], "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[tok]; !ok {
			return nil, false
		}
	}
	return cur, true
}
