package sopsvalues

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The document as SOPS sees it: ordered mappings (branches) whose items are key/value pairs or
// comment lines, lists whose elements may be comment lines, and scalars (string, int, float64,
// bool, time.Time, []byte, nil). Order matters: the MAC hashes the values in document order, and
// SOPS encrypts comments too.

// comment is one comment line, without its leading #. SOPS keeps comments in the tree, as the
// key of an item in a mapping or as an element of a list.
type comment struct {
	value  string
	inline bool
}

// item is one entry of a mapping: a string key and its value, or a comment as key and no value.
type item struct {
	key   any
	value any
}

// branch is a mapping, in document order.
type branch []item

// loadYAML reads every document of a YAML stream into a branch, as SOPS' YAML store does:
// comments become tree entries (head and line comments before the entry they belong to, foot
// comments after it), aliases are expanded, and each document must be a mapping.
func loadYAML(data []byte) ([]branch, error) {
	if len(data) > 0 {
		// Decoding into a map is what makes the YAML library refuse duplicate keys.
		var unique map[string]any
		if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&unique); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("it is not valid YAML: %w", err)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []branch
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("it is not valid YAML: %w", err)
		}
		b, err := appendNode(&doc, branch{}, false)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", len(out)+1, err)
		}
		out = append(out, b)
	}
}

// commentLines splits a YAML comment block into comment entries, dropping each line's #.
func commentLines(text string, inline bool) []comment {
	var out []comment
	for _, line := range strings.Split(text, "\n") {
		if line != "" {
			out = append(out, comment{value: line[1:], inline: inline})
		}
	}
	return out
}

func appendComments(b branch, text string, inline bool) branch {
	for _, c := range commentLines(text, inline) {
		b = append(b, item{key: c})
	}
	return b
}

func appendListComments(l []any, text string, inline bool) []any {
	for _, c := range commentLines(text, inline) {
		l = append(l, c)
	}
	return l
}

// appendNode adds a document or mapping node's entries to b.
func appendNode(n *yaml.Node, b branch, commentsHandled bool) (branch, error) {
	if !commentsHandled {
		b = appendComments(b, n.HeadComment, false)
		b = appendComments(b, n.LineComment, false)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			var err error
			if b, err = appendNode(c, b, false); err != nil {
				return nil, err
			}
		}
	case yaml.SequenceNode:
		return nil, errors.New("it is a list; SOPS reads YAML documents that are mappings")
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			b = appendComments(b, k.HeadComment, false)
			b = appendComments(b, k.LineComment, false)
			scalar := v.Kind == yaml.ScalarNode || v.Kind == yaml.AliasNode
			if scalar {
				b = appendComments(b, v.HeadComment, false)
				b = appendComments(b, v.LineComment, true)
			}
			var key any
			if err := k.Decode(&key); err != nil {
				return nil, fmt.Errorf("line %d: a key does not decode as its tag %s says", k.Line, k.ShortTag())
			}
			value, err := nodeValue(v, scalar)
			if err != nil {
				return nil, err
			}
			b = append(b, item{key: key, value: value})
			if scalar {
				b = appendComments(b, v.FootComment, false)
			}
			b = appendComments(b, k.FootComment, false)
		}
	case yaml.ScalarNode:
		if n.ShortTag() != "!!null" {
			return nil, errors.New("it is a single value; SOPS reads YAML documents that are mappings")
		}
		return b, nil
	case yaml.AliasNode:
		var err error
		if b, err = appendNode(n.Alias, b, false); err != nil {
			return nil, err
		}
	}
	if !commentsHandled {
		b = appendComments(b, n.FootComment, false)
	}
	return b, nil
}

// nodeValue converts a value node: a list, a mapping, or a scalar decoded as the YAML library
// decodes it into an interface (string, int, float64, bool, time.Time or nil).
func nodeValue(n *yaml.Node, commentsHandled bool) (any, error) {
	switch n.Kind {
	case yaml.SequenceNode:
		var l []any
		if !commentsHandled {
			l = appendListComments(l, n.HeadComment, false)
			l = appendListComments(l, n.LineComment, false)
		}
		for _, c := range n.Content {
			l = appendListComments(l, c.HeadComment, false)
			l = appendListComments(l, c.LineComment, true)
			v, err := nodeValue(c, true)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
			l = appendListComments(l, c.FootComment, false)
		}
		if !commentsHandled {
			l = appendListComments(l, n.FootComment, false)
		}
		return l, nil
	case yaml.MappingNode:
		return appendNode(n, branch{}, commentsHandled)
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			// The library's message may quote the value; the tag and line say enough.
			return nil, fmt.Errorf("line %d: a value does not decode as its tag %s says", n.Line, n.ShortTag())
		}
		return v, nil
	case yaml.AliasNode:
		return nodeValue(n.Alias, false)
	}
	return nil, nil
}

// errEncodeYAML: the decrypted document does not encode. The YAML library's message is not
// kept, since it could quote a decrypted value.
var errEncodeYAML = errors.New("the decrypted document cannot be written as YAML")

// emitYAML writes the branches as a YAML stream, one document each, as SOPS' YAML store does:
// four-space indentation, comments put back as head, line and foot comments.
func emitYAML(branches []branch) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(4)
	for _, b := range branches {
		m := &yaml.Node{Kind: yaml.MappingNode}
		if err := emitBranch(b, m); err != nil {
			return nil, err
		}
		if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{m}}); err != nil {
			return nil, errEncodeYAML
		}
	}
	if err := enc.Close(); err != nil {
		return nil, errEncodeYAML
	}
	return buf.Bytes(), nil
}

// joinComments turns comment lines back into a YAML comment block.
func joinComments(lines []string) string {
	return "#" + strings.Join(lines, "\n#")
}

func addHead(n *yaml.Node, lines []string) {
	if len(lines) == 0 {
		return
	}
	if n.HeadComment != "" {
		n.HeadComment = joinComments(lines) + "\n" + n.HeadComment
	} else {
		n.HeadComment = joinComments(lines)
	}
}

func addFoot(n *yaml.Node, lines []string) {
	if len(lines) == 0 {
		return
	}
	if n.FootComment != "" {
		n.FootComment += "\n" + joinComments(lines)
	} else {
		n.FootComment = joinComments(lines)
	}
}

func addLine(n *yaml.Node, lines []string) {
	if len(lines) == 0 {
		return
	}
	if n.LineComment != "" {
		n.LineComment += "\n" + joinComments(lines)
	} else {
		n.LineComment = joinComments(lines)
	}
}

// commentRun gathers the comments met before the next entry of a mapping or list.
type commentRun struct{ head, inline []string }

func (r *commentRun) add(c comment) {
	if c.inline {
		r.inline = append(r.inline, c.value)
	} else {
		r.head = append(r.head, c.value)
	}
}

// rest is what is left at the end of a mapping or list: its head and inline comments, in
// that order.
func (r *commentRun) rest() []string { return append(r.head, r.inline...) }

func emitBranch(b branch, m *yaml.Node) error {
	var run commentRun
	first := true
	for _, it := range b {
		if c, ok := it.key.(comment); ok {
			run.add(c)
			continue
		}
		if first {
			addHead(m, run.head)
			run.head, first = nil, false
		}
		k := &yaml.Node{}
		if err := k.Encode(it.key); err != nil {
			return errEncodeYAML
		}
		addHead(k, run.head)
		run.head = nil
		v, err := valueNode(it.value)
		if err != nil {
			return err
		}
		addLine(v, run.inline)
		run.inline = nil
		m.Content = append(m.Content, k, v)
	}
	if rest := run.rest(); len(rest) > 0 {
		if first {
			addHead(m, rest)
		} else {
			addFoot(m.Content[len(m.Content)-2], rest)
		}
	}
	return nil
}

func emitList(l []any, s *yaml.Node) error {
	var run commentRun
	first := true
	for _, e := range l {
		if c, ok := e.(comment); ok {
			run.add(c)
			continue
		}
		if first {
			addHead(s, run.head)
			run.head, first = nil, false
		}
		v, err := valueNode(e)
		if err != nil {
			return err
		}
		addHead(v, run.head)
		addLine(v, run.inline)
		run.head, run.inline = nil, nil
		s.Content = append(s.Content, v)
	}
	if rest := run.rest(); len(rest) > 0 {
		if first {
			addHead(s, rest)
		} else {
			addFoot(s.Content[len(s.Content)-1], rest)
		}
	}
	return nil
}

func valueNode(v any) (*yaml.Node, error) {
	switch t := v.(type) {
	case branch:
		m := &yaml.Node{Kind: yaml.MappingNode}
		return m, emitBranch(t, m)
	case []any:
		s := &yaml.Node{Kind: yaml.SequenceNode}
		return s, emitList(t, s)
	}
	n := &yaml.Node{}
	if err := n.Encode(v); err != nil {
		return nil, errEncodeYAML
	}
	return n, nil
}
