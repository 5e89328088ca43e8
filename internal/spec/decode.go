package spec

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder decodes a yaml.Node tree into the Go types of this package, strictly: it walks the
// tree against the types, using their json tags as the field names, and records a Problem for
// every unknown field, duplicate key and type mismatch instead of stopping at the first. What
// can be decoded is decoded, so that validation can still run on the rest of the file.
type decoder struct {
	file     string
	problems Problems
	// bad holds the paths that could not be decoded. Validation skips problems under them:
	// a field that had the wrong type is reported once, not again as "missing".
	bad []string
}

func (d *decoder) add(n *yaml.Node, p path, msg, hint string) {
	d.problems = append(d.problems, Problem{Pos: nodePos(d.file, n), Path: p.String(), Message: msg, Hint: hint})
}

func (d *decoder) mismatch(n *yaml.Node, p path, want string, hint string) {
	d.add(n, p, fmt.Sprintf("expected %s, got %s", want, describe(n)), hint)
	d.bad = append(d.bad, p.String())
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, p path) {
	n = deref(n)
	if isNull(n) {
		return // the zero value; validation reports what is required
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), p)
	case reflect.Struct:
		d.decodeStruct(n, v, p)
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.Interface {
			d.decodeValues(n, v, p)
			return
		}
		d.decodeMap(n, v, p)
	case reflect.Slice:
		d.decodeSlice(n, v, p)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.mismatch(n, p, "a string", "")
			return
		}
		// The text as written, so that version: 1.10 stays "1.10" rather than becoming 1.1.
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.mismatch(n, p, "true or false", "")
			return
		}
		v.SetBool(b)
	case reflect.Int:
		var i int
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil {
			d.mismatch(n, p, "a whole number", "")
			return
		}
		v.SetInt(int64(i))
	default:
		d.add(n, p, fmt.Sprintf("kaji cannot decode into a field of Go type %s", v.Type()), "")
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, p path) {
	if n.Kind != yaml.MappingNode {
		d.mismatch(n, p, "a mapping", "")
		return
	}
	fields := fieldsOf(v.Type())
	for _, kv := range d.mapEntries(n, p) {
		idx, ok := fields.index[kv.name]
		if !ok {
			d.add(kv.Key, p.with(kv.name), fmt.Sprintf("unknown field %q", kv.name), unknownFieldHint(kv.name, fields.names, p))
			continue
		}
		d.decode(kv.Value, v.Field(idx), p.with(kv.name))
	}
}

func unknownFieldHint(name string, fields []string, p path) string {
	if hint := didYouMean(name, fields); hint != "" {
		return hint
	}
	where := "here"
	if len(p) > 0 {
		where = "in " + p.String()
	}
	return fmt.Sprintf("fields allowed %s: %s", where, strings.Join(fields, ", "))
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, p path) {
	if n.Kind != yaml.MappingNode {
		d.mismatch(n, p, "a mapping", "")
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, kv := range d.mapEntries(n, p) {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(kv.Value, elem, p.with(kv.name))
		v.SetMapIndex(reflect.ValueOf(kv.name).Convert(v.Type().Key()), elem)
	}
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, p path) {
	if n.Kind != yaml.SequenceNode {
		hint := ""
		if n.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf("write a list, such as [%s]", n.Value)
		}
		d.mismatch(n, p, "a list", hint)
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(item, s.Index(i), p.with(i))
	}
	v.Set(s)
}

// decodeValues decodes free-form Helm values: any keys are allowed, but keys must be unique
// and plain scalars, as in a values file.
func (d *decoder) decodeValues(n *yaml.Node, v reflect.Value, p path) {
	if n.Kind != yaml.MappingNode {
		d.mismatch(n, p, "a mapping", "")
		return
	}
	before := len(d.problems)
	d.checkFreeForm(n, p)
	if len(d.problems) > before {
		return
	}
	values, err := helmValues(n)
	if err != nil {
		d.add(n, p, err.Error(), "")
		return
	}
	v.Set(reflect.ValueOf(values))
}

// MaxNodes bounds the size of kaji.yaml with its aliases expanded: a few levels of aliases to
// aliases (an "alias bomb") expand to billions of nodes, which no decoder should walk, and
// even a million nodes of values take seconds to read and much longer to render and
// analyze. The default values of the largest charts hold a few thousand nodes.
const MaxNodes = 100_000

// checkSize records a problem, at the smallest node that is too big, when root expands to
// more than MaxNodes nodes. It reports whether root may be decoded.
func (d *decoder) checkSize(root *yaml.Node) bool {
	memo := map[*yaml.Node]int64{}
	if expandedSize(root, memo) <= MaxNodes {
		return true
	}
	n, p := root, path(nil)
descend:
	for {
		n = deref(n)
		for i, c := range n.Content {
			if expandedSize(c, memo) <= MaxNodes {
				continue
			}
			switch {
			case n.Kind == yaml.MappingNode && i%2 == 1:
				p = p.with(deref(n.Content[i-1]).Value)
			case n.Kind == yaml.SequenceNode:
				p = p.with(i)
			}
			n = c
			continue descend
		}
		break
	}
	d.add(n, p, fmt.Sprintf("expands to more than %d nodes through its aliases (*name), too many to read", MaxNodes),
		"aliases that refer to aliases, a few levels deep, grow exponentially (an alias bomb); write the values out")
	return false
}

// expandedSize counts the nodes of n with every alias expanded, each node's count computed
// once (memo), and stops growing past MaxNodes. An alias cycle counts as too many.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int64) int64 {
	if n == nil {
		return 0
	}
	if v, ok := memo[n]; ok {
		return v
	}
	memo[n] = MaxNodes + 1 // a cycle back to n is too many
	var size int64 = 1
	if n.Kind == yaml.AliasNode {
		size = expandedSize(n.Alias, memo)
	}
	for _, c := range n.Content {
		size += expandedSize(c, memo)
		if size > MaxNodes {
			size = MaxNodes + 1
			break
		}
	}
	memo[n] = size
	return size
}

func (d *decoder) checkFreeForm(n *yaml.Node, p path) {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		for _, kv := range d.mapEntries(n, p) {
			d.checkFreeForm(kv.Value, p.with(kv.name))
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			d.checkFreeForm(item, p.with(i))
		}
	}
}

type entry struct {
	pair
	name string
}

// mapEntries returns the entries of mapping n with their keys as strings. It records a problem
// for keys that are not scalars, for duplicate keys and for merge keys that merge no mapping,
// and leaves those entries out. A key merged in from an anchor is overridden silently by one
// written in the mapping, as YAML specifies.
func (d *decoder) mapEntries(n *yaml.Node, p path) []entry {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if isMergeKey(n.Content[i]) && mergeSources(n.Content[i+1]) == nil {
			d.add(n.Content[i+1], p.with("<<"), "a merge key (<<) takes a mapping, an alias of one, or a list of them", "")
			d.bad = append(d.bad, p.with("<<").String())
		}
	}
	var out []entry
	seen := map[string]*yaml.Node{}
	for _, kv := range pairs(n) {
		key := deref(kv.Key)
		if key.Kind != yaml.ScalarNode {
			d.add(kv.Key, p, fmt.Sprintf("expected a string key, got %s", describe(key)), "")
			continue
		}
		if first, dup := seen[key.Value]; dup {
			if !kv.Merged {
				d.add(kv.Key, p.with(key.Value), fmt.Sprintf("duplicate key %q", key.Value),
					fmt.Sprintf("it is already set at line %d", first.Line))
			}
			continue
		}
		seen[key.Value] = kv.Key
		out = append(out, entry{pair: kv, name: key.Value})
	}
	return out
}

// isNull reports whether n is an explicit or implicit null (name: , name: ~, name: null).
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names the kind of a node for "expected X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!int", "!!float":
			return "the number " + n.Value
		case "!!bool":
			return "the boolean " + n.Value
		case "!!null":
			return "null"
		default:
			return fmt.Sprintf("the string %q", n.Value)
		}
	}
	return "a YAML node of another kind"
}

// structFields lists the fields of a struct type under their json names.
type structFields struct {
	index map[string]int // json name -> field index
	names []string       // json names, in declaration order
}

func fieldsOf(t reflect.Type) *structFields {
	f := &structFields{index: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		f.index[name] = i
		f.names = append(f.names, name)
	}
	return f
}
