package unused

import "fmt"

// serializes reports whether fn writes out everything in its argument, so that a chart's whole
// context passed to it counts as a use of all its values.
func serializes(fn string) bool {
	switch fn {
	case "toYaml", "mustToYaml", "toYamlPretty", "toJson", "mustToJson", "toPrettyJson",
		"mustToPrettyJson", "toRawJson", "mustToRawJson", "toToml", "mustToToml", "toString",
		"print", "printf", "println":
		return true
	}
	return false
}

// inspects reports whether fn looks at its arguments (their kind, their order) without using
// what is below them.
func inspects(fn string) bool {
	switch fn {
	case "lt", "le", "gt", "ge", "kindIs", "kindOf", "typeIs", "typeIsLike", "typeOf", "fail":
		return true
	}
	return false
}

// call evaluates a function call. Unless the function is one the walk models, every argument
// counts as used whole and the result is unknown.
func (w *walker) call(f *frame, fn string, args []aval) aval {
	switch fn {
	case "include":
		if len(args) == 2 {
			if name, ok := args[0].str(); ok {
				w.include(f, name, args[1])
				return aval{names: mergeNames(args[1].allNames(), w.defineNames(name))}
			}
		}
		return aval{}
	case "tpl":
		for i, a := range args {
			if i == 0 || a.root == nil {
				w.consume(f, a, false)
			}
		}
		return aval{names: namesOf(args)}
	case "dict":
		return w.dict(f, args)
	case "default":
		if len(args) == 2 {
			return withExpr(union(args[1], args[0]), opDefault, args)
		}
	case "coalesce":
		return withExpr(union(args...), opCoalesce, args)
	case "ternary":
		if len(args) == 3 {
			return withExpr(union(args[0], args[1]), opTernary, args)
		}
	case "required":
		if len(args) == 2 {
			return args[1]
		}
	case "and":
		return withExpr(union(args...), opAnd, args)
	case "or":
		return withExpr(union(args...), opOr, args)
	case "not", "empty":
		if len(args) == 1 {
			return withExpr(aval{}, opNot, args)
		}
	case "eq", "ne":
		return w.compare(fn == "ne", args)
	case "hasKey":
		if len(args) == 2 {
			return w.hasKey(f, args[0], args[1])
		}
	case "index":
		if len(args) >= 1 {
			return w.index(f, args[0], args[1:])
		}
	case "get":
		if len(args) == 2 {
			return w.index(f, args[0], args[1:])
		}
	case "dig":
		if len(args) >= 3 {
			return union(w.index(f, args[len(args)-1], args[:len(args)-2]), args[len(args)-2])
		}
	case "pluck":
		if len(args) >= 2 {
			var alts []aval
			for _, d := range args[1:] {
				alts = append(alts, w.index(f, d, args[:1]))
			}
			return union(alts...)
		}
	case "lookup":
		return aval{}
	case "omit":
		if len(args) >= 1 {
			return w.omit(f, args[0], args[1:])
		}
	}
	if inspects(fn) {
		return aval{}
	}
	serialize := serializes(fn)
	for _, a := range args {
		w.consume(f, a, serialize)
	}
	if fn == "print" || fn == "printf" || fn == "println" {
		return printed(fn, args)
	}
	return aval{names: namesOf(args)}
}

// withExpr gives v the expression op over the arguments.
func withExpr(v aval, op condOp, args []aval) aval {
	c := &cond{op: op, args: make([]*cond, len(args))}
	for i, a := range args {
		c.args[i] = a.cond()
	}
	v.expr = c
	return v
}

// printed is the result of print, printf or println: a literal when every argument is one,
// for names of templates built in templates, else the names it may output.
func printed(fn string, args []aval) aval {
	lits := make([]any, len(args))
	for i, a := range args {
		l, ok := a.literal()
		if !ok {
			if fn == "println" {
				return aval{names: namesOf(args)}
			}
			return aval{names: printedNames(fn, args)}
		}
		lits[i] = l
	}
	switch fn {
	case "print":
		return litVal(fmt.Sprint(lits...))
	case "println":
		return litVal(fmt.Sprintln(lits...))
	}
	if len(lits) == 0 {
		return aval{}
	}
	format, ok := lits[0].(string)
	if !ok {
		return aval{}
	}
	return litVal(fmt.Sprintf(format, lits[1:]...))
}

// compare builds eq or ne and remembers the literals a key is compared with.
func (w *walker) compare(ne bool, args []aval) aval {
	if len(args) < 2 {
		return aval{}
	}
	for _, a := range args {
		for _, b := range args {
			if l, ok := b.literal(); ok {
				for _, p := range a.paths {
					w.idx.node(p).addProbe(l)
				}
			}
		}
	}
	op := opEq
	if ne {
		op = opNe
	}
	return withExpr(aval{}, op, args)
}

// hasKey reads the key k of m.
func (w *walker) hasKey(f *frame, m, k aval) aval {
	key, ok := k.str()
	if !ok {
		w.consume(f, m, false)
		return aval{}
	}
	for i, p := range m.paths {
		w.record(concat(p, key), useRead, w.both(f.guard, m.guardOf(i)))
	}
	return aval{expr: &cond{op: opHasKey, lit: key, args: []*cond{m.cond()}}}
}

// index follows literal keys into v, as index, get and dig do. A key that is not a literal
// string is a dynamic lookup in v: when it is built from names, the value found is the key at
// their computed segment; otherwise nothing is known of it.
func (w *walker) index(f *frame, v aval, keys []aval) aval {
	for _, k := range keys {
		key, ok := k.str()
		if ok {
			v = w.field(f, v, key)
			continue
		}
		names := k.allNames()
		var alts []aval
		for i, p := range v.paths {
			w.record(p, useDynamic, w.both(f.guard, v.guardOf(i)))
			if len(names) > 0 {
				alts = append(alts, w.valuesAt(f, concat(p, w.computedSegment(names)), v.guardOf(i)))
			}
		}
		for _, e := range v.dict {
			w.consume(f, e, false)
		}
		if len(alts) == 0 {
			return aval{}
		}
		v = union(alts...)
	}
	return v
}

// omit uses m whole except the keys it drops, when they are literal strings.
func (w *walker) omit(f *frame, m aval, keys []aval) aval {
	drop := map[string]bool{}
	for _, k := range keys {
		key, ok := k.str()
		if !ok {
			w.consume(f, m, false)
			return aval{}
		}
		drop[key] = true
	}
	for i, p := range m.paths {
		w.recordOmit(p, drop, w.both(f.guard, m.guardOf(i)))
	}
	for k, e := range m.dict {
		if !drop[k] {
			w.consume(f, e, false)
		}
	}
	return aval{}
}

// dict builds a dict whose keys are literal strings; otherwise its values count as used whole.
func (w *walker) dict(f *frame, args []aval) aval {
	d := map[string]aval{}
	for i := 0; i < len(args); i += 2 {
		key, ok := args[i].str()
		if !ok {
			for _, a := range args {
				w.consume(f, a, false)
			}
			return aval{}
		}
		if i+1 < len(args) {
			d[key] = args[i+1]
		} else {
			d[key] = litVal("")
		}
	}
	return aval{dict: d}
}
