// Package ignore removes the fields that a release's ignoreDifferences in kaji.yaml names
// from rendered objects, before Helm applies them, so that their owner keeps them; and from
// live objects, so that the plan neither compares them nor counts them as drift.
package ignore

import (
	"fmt"
	"strconv"
	"strings"
)

// Pointer is a JSON pointer (RFC 6901) to a field of an object, such as /spec/replicas or
// /metadata/annotations/example.com~1owner.
type Pointer struct {
	text   string
	tokens []string
}

// ParsePointer parses a JSON pointer. It must name a field, so the empty pointer (the whole
// object) is refused, as is a "~" not followed by 0 or 1.
func ParsePointer(s string) (Pointer, error) {
	if s == "" {
		return Pointer{}, fmt.Errorf("the empty pointer names the whole object, not a field")
	}
	if !strings.HasPrefix(s, "/") {
		return Pointer{}, fmt.Errorf("%q does not start with /", s)
	}
	var tokens []string
	for _, raw := range strings.Split(s[1:], "/") {
		tok, err := unescape(raw)
		if err != nil {
			return Pointer{}, fmt.Errorf("%q: %w", s, err)
		}
		tokens = append(tokens, tok)
	}
	return Pointer{text: s, tokens: tokens}, nil
}

// MustPointer is ParsePointer for pointers known to be valid; it panics on others.
func MustPointer(s string) Pointer {
	p, err := ParsePointer(s)
	if err != nil {
		panic(err)
	}
	return p
}

func unescape(tok string) (string, error) {
	if !strings.Contains(tok, "~") {
		return tok, nil
	}
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		if tok[i] != '~' {
			b.WriteByte(tok[i])
			continue
		}
		if i+1 >= len(tok) || (tok[i+1] != '0' && tok[i+1] != '1') {
			return "", fmt.Errorf("~ must be followed by 0 (for ~) or 1 (for /)")
		}
		if tok[i+1] == '0' {
			b.WriteByte('~')
		} else {
			b.WriteByte('/')
		}
		i++
	}
	return b.String(), nil
}

// String is the pointer as written.
func (p Pointer) String() string { return p.text }

// Tokens are the keys (and list indices) from the object's root.
func (p Pointer) Tokens() []string { return p.tokens }

// Has reports whether obj has the field p names.
func (p Pointer) Has(obj map[string]any) bool {
	var v any = obj
	for _, tok := range p.tokens {
		next, ok := child(v, tok)
		if !ok {
			return false
		}
		v = next
	}
	return true
}

// Remove deletes the field p names from obj, and the maps that this leaves empty, and reports
// whether there was such a field. Lists are entered by index; an index as the last token
// removes that element.
func (p Pointer) Remove(obj map[string]any) bool {
	_, removed := remove(obj, p.tokens)
	return removed
}

// remove deletes the field that tokens name under v, and returns v as it is then: a list
// that lost an element is a new slice, and an emptied map is nil.
func remove(v any, tokens []string) (any, bool) {
	if len(tokens) == 0 {
		return v, false
	}
	tok := tokens[0]
	switch t := v.(type) {
	case map[string]any:
		next, ok := t[tok]
		if !ok {
			return v, false
		}
		if len(tokens) == 1 {
			delete(t, tok)
			return emptyToNil(t), true
		}
		after, removed := remove(next, tokens[1:])
		switch {
		case !removed:
		case after == nil:
			delete(t, tok)
		default:
			t[tok] = after
		}
		return emptyToNil(t), removed
	case []any:
		i, ok := index(tok, len(t))
		if !ok {
			return v, false
		}
		if len(tokens) == 1 {
			return append(t[:i:i], t[i+1:]...), true
		}
		after, removed := remove(t[i], tokens[1:])
		if removed && after == nil {
			after = map[string]any{}
		}
		t[i] = after
		return t, removed
	}
	return v, false
}

func child(v any, tok string) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		c, ok := t[tok]
		return c, ok
	case []any:
		i, ok := index(tok, len(t))
		if !ok {
			return nil, false
		}
		return t[i], true
	}
	return nil, false
}

// index parses a list index token: digits without leading zeros, within the list.
func index(tok string, n int) (int, bool) {
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return 0, false
	}
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 || i >= n {
		return 0, false
	}
	return i, true
}

// emptyToNil returns nil for an empty map, so that its parent drops it.
func emptyToNil(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return m
}
