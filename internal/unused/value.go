package unused

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// aval is what the static walk knows about a template value: which .Values keys it may be,
// whether it may be a chart's top-level context, the entries of a dict built in the template,
// and, where it can tell, how to compute it from the values of a configuration.
type aval struct {
	// root is the scope whose top-level context (.Values, .Release, ...) this may be.
	root *scope
	// paths are the .Values keys this may be, in the terms of the root chart's values.
	paths [][]string
	// pg are, for each of paths, the guard of the code that set it, when only that code did
	// (a variable assigned in a block); nil when the value holds wherever it is used. Nil
	// when none has one.
	pg []*guard
	// dict holds the entries of a dict literal this may be.
	dict map[string]aval
	// expr computes the value; nil when the walk cannot tell.
	expr *cond
	// names are the string literals of the templates that this may be built from, sorted:
	// the names a lookup by this value may use (see computed.go).
	names []string
}

func litVal(v any) aval {
	out := aval{expr: &cond{op: opLit, lit: v}}
	if s, ok := v.(string); ok {
		out.names = []string{s}
	}
	return out
}

// literal returns the value when it does not depend on the values: a literal in the template.
func (v aval) literal() (any, bool) {
	if v.expr != nil && v.expr.op == opLit && len(v.paths) == 0 {
		return v.expr.lit, true
	}
	return nil, false
}

// str returns the value when it is a literal string.
func (v aval) str() (string, bool) {
	l, ok := v.literal()
	s, isStr := l.(string)
	return s, ok && isStr
}

// cond returns the expression of v, an unknown one when there is none.
func (v aval) cond() *cond {
	if v.expr == nil {
		return &cond{op: opUnknown}
	}
	return v.expr
}

// union is a value that may be any of vs.
func union(vs ...aval) aval {
	if len(vs) == 1 {
		return vs[0]
	}
	var out aval
	for i, v := range vs {
		if i == 0 {
			out = v
			out.dict = maps.Clone(v.dict)
			out.paths = slices.Clone(v.paths)
			out.pg = slices.Clone(v.pg)
			continue
		}
		if out.root == nil {
			out.root = v.root
		}
		out.names = mergeNames(out.names, v.names)
		for j, p := range v.paths {
			k := slices.IndexFunc(out.paths, func(q []string) bool { return slices.Equal(p, q) })
			switch {
			case k < 0:
				out.paths = append(out.paths, p)
				out.setGuard(len(out.paths)-1, v.guardOf(j))
			case v.guardOf(j) == nil:
				out.setGuard(k, nil) // set by code that always runs: the value holds anywhere
			}
		}
		for k, e := range v.dict {
			if out.dict == nil {
				out.dict = map[string]aval{}
			}
			if old, ok := out.dict[k]; ok {
				e = union(old, e)
			}
			out.dict[k] = e
		}
		if out.expr != v.expr && !sameLiteral(out.expr, v.expr) {
			out.expr = nil
		}
	}
	return out
}

func sameLiteral(a, b *cond) bool {
	return a != nil && b != nil && a.op == opLit && b.op == opLit && reflect.DeepEqual(a.lit, b.lit)
}

// guardOf returns the guard of the code that set the i-th path, or nil.
func (v aval) guardOf(i int) *guard {
	if i < len(v.pg) {
		return v.pg[i]
	}
	return nil
}

// setGuard sets the guard of the i-th path.
func (v *aval) setGuard(i int, g *guard) {
	if g == nil && i >= len(v.pg) {
		return
	}
	for len(v.pg) <= i {
		v.pg = append(v.pg, nil)
	}
	v.pg[i] = g
}

// setUnder returns v as a block guarded by g hands it on to the code after it, guarded by
// outer: each path that no inner block set gets g, so that its uses after the block count only
// when the block ran.
func (v aval) setUnder(g, outer *guard) aval {
	if g == nil || g == outer {
		return v
	}
	out := v
	out.pg = slices.Clone(v.pg)
	for i := range v.paths {
		if out.guardOf(i) == nil {
			out.setGuard(i, g)
		}
	}
	if v.dict != nil {
		out.dict = make(map[string]aval, len(v.dict))
		for k, e := range v.dict {
			out.dict[k] = e.setUnder(g, outer)
		}
	}
	return out
}

// fingerprint identifies what the walk knows of v, for memoizing walks of named templates.
func (v aval) fingerprint() string {
	var b strings.Builder
	v.writeFingerprint(&b)
	return b.String()
}

func (v aval) writeFingerprint(b *strings.Builder) {
	if v.root != nil {
		b.WriteByte('r')
		b.WriteString(strconv.Itoa(v.root.id))
	}
	for i, p := range v.paths {
		b.WriteByte('p')
		for _, seg := range p {
			b.WriteString(strconv.Quote(seg))
		}
		if g := v.guardOf(i); g != nil {
			fmt.Fprintf(b, "g%p", g)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(v.dict)) {
		b.WriteByte('d')
		b.WriteString(strconv.Quote(k))
		b.WriteByte('{')
		v.dict[k].writeFingerprint(b)
		b.WriteByte('}')
	}
	if len(v.names) > 0 && (v.expr == nil || v.expr.op != opLit) {
		b.WriteByte('n')
		for _, n := range v.names {
			b.WriteString(strconv.Quote(n))
		}
	}
	switch {
	case v.expr == nil || len(v.paths) > 0:
		// Nothing more to know, or the paths say it.
	case v.expr.op == opLit:
		b.WriteByte('l')
		if s, ok := v.expr.lit.(string); ok {
			b.WriteString(strconv.Quote(s))
		} else {
			fmt.Fprintf(b, "%#v", v.expr.lit)
		}
	default:
		// An expression computed in the template: conditions in the named template depend on
		// this very expression, so only this call can share the walk.
		fmt.Fprintf(b, "e%p", v.expr)
	}
}

// truth is a three-valued truth.
type truth int

const (
	truthUnknown truth = iota
	truthTrue
	truthFalse
)

func truthOf(b bool) truth {
	if b {
		return truthTrue
	}
	return truthFalse
}

// truthy mirrors text/template's truth: the zero value and empty containers are false.
func truthy(v any) bool {
	if v == nil {
		return false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return rv.Len() > 0
	case reflect.Bool:
		return rv.Bool()
	case reflect.Complex64, reflect.Complex128:
		return rv.Complex() != 0
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.Interface:
		return !rv.IsNil()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() != 0
	case reflect.Float32, reflect.Float64:
		return rv.Float() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint() != 0
	}
	return true
}

// equal compares two known values as text/template's eq does for basic kinds; ok is false when
// eq would compare them differently or fail.
func equal(a, b any) (eq, ok bool) {
	switch x := a.(type) {
	case string:
		y, isStr := b.(string)
		return x == y, isStr
	case bool:
		y, isBool := b.(bool)
		return x == y, isBool
	case nil:
		return b == nil, b == nil
	}
	ra, rb := reflect.ValueOf(a), reflect.ValueOf(b)
	if isInt(ra) && isInt(rb) {
		return ra.Int() == rb.Int(), true
	}
	if isFloat(ra) && isFloat(rb) {
		return ra.Float() == rb.Float(), true
	}
	return false, false
}

func isInt(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return true
	}
	return false
}

func isFloat(v reflect.Value) bool {
	return v.Kind() == reflect.Float32 || v.Kind() == reflect.Float64
}
