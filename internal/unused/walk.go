package unused

import (
	"slices"
	"strconv"
	"text/template/parse"
)

// walker reads the parse trees of a chart's templates and records every reference to .Values:
// which key, whether it reads the key, uses it whole or looks below it by computed names, and
// the guard of the code around it, whose conditions (truthiness, and, or, not, eq, ne, empty,
// hasKey, default, coalesce, ternary) each configuration evaluates. It follows include and
// template calls into named templates, tracking what their argument is.
type walker struct {
	m    *chartModel
	idx  *refIndex
	seen map[occKey]int
	// memo holds the entry guard of each named template walked, by name, scope and argument.
	memo map[string]*guard
	// pairs holds the guards made by both, by their two parts.
	pairs map[[2]*guard]*guard
	// depth counts nested calls of named templates; a template that calls itself with an
	// ever larger argument would otherwise never repeat a memo key.
	depth int
	// defNames holds the names each named template may output, by name.
	defNames map[string][]string
	// segments holds the computed segments made, by the names they stand for.
	segments map[string]string
}

type occKey struct {
	node  *refNode
	use   use
	guard *guard
}

// maxDepth bounds the nesting of named template calls that the walk follows.
const maxDepth = 32

// walkChart walks the templates of every chart in the tree of m, each subchart under the
// guard of its scope, and records the keys that Helm reads to enable subcharts.
func walkChart(m *chartModel) *refIndex {
	w := &walker{m: m, idx: newRefIndex(), seen: map[occKey]int{}, memo: map[string]*guard{}, pairs: map[[2]*guard]*guard{}, defNames: map[string][]string{}, segments: map[string]string{}}
	m.guards = map[*scope]*guard{m.root: nil}
	for _, s := range m.scopes { // parents come before their subcharts
		if s.parent != nil {
			m.guards[s] = &guard{parent: m.guards[s.parent], scope: s}
			pf := &frame{scope: s.parent, guard: m.guards[s.parent]}
			for _, p := range helmReads(s) {
				w.record(concat(s.parent.prefix, p...), useRead, pf.guard)
			}
		}
		for _, e := range s.entries {
			root := aval{root: s}
			f := &frame{scope: s, dot: root, vars: []variable{{name: "$", val: root}}, guard: m.guards[s]}
			w.walkList(f, e.tree.Root)
		}
	}
	return w.idx
}

// frame is the state of the walk at one point of a template.
type frame struct {
	scope *scope
	dot   aval
	vars  []variable
	guard *guard
}

type variable struct {
	name string
	val  aval
	// set counts assignments, so that merging blocks skips untouched variables.
	set int
}

func (w *walker) walkList(f *frame, l *parse.ListNode) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		w.walkNode(f, n)
	}
}

func (w *walker) walkNode(f *frame, n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		w.walkList(f, n)
	case *parse.ActionNode:
		v := w.evalPipe(f, n.Pipe, true)
		if len(n.Pipe.Decl) == 0 {
			w.consume(f, v, false) // printed
		}
	case *parse.IfNode:
		w.walkIf(f, &n.BranchNode, false)
	case *parse.WithNode:
		w.walkIf(f, &n.BranchNode, true)
	case *parse.RangeNode:
		w.walkRange(f, &n.BranchNode)
	case *parse.TemplateNode:
		arg := aval{}
		if n.Pipe != nil {
			arg = w.evalPipe(f, n.Pipe, true)
		}
		w.include(f, n.Name, arg)
	}
}

// sub returns the frame of a block inside f that runs when c has the truth want. The block
// shares the variables of f until it declares one (append copies, as the capacity is full) or
// assigns one (evalPipe copies first).
func (f *frame) sub(c *cond, want bool, dot aval) *frame {
	g := &frame{scope: f.scope, dot: dot, vars: f.vars[:len(f.vars):len(f.vars)], guard: f.guard}
	if c != nil && c.op != opUnknown {
		g.guard = &guard{parent: f.guard, c: c, want: want}
	}
	return g
}

// merge takes over assignments that a block made to the variables of f: after the block, a
// variable may hold its old value or the block's.
func (f *frame) merge(g *frame) {
	cloned := false
	for i := range f.vars {
		if i < len(g.vars) && g.vars[i].set != f.vars[i].set {
			if !cloned {
				f.vars, cloned = slices.Clone(f.vars), true
			}
			f.vars[i].val = union(f.vars[i].val, g.vars[i].val.setUnder(g.guard, f.guard))
			f.vars[i].set = g.vars[i].set
		}
	}
}

// walkIf walks an if or with block. The body of with sees the condition as dot.
func (w *walker) walkIf(f *frame, n *parse.BranchNode, with bool) {
	outer := f
	if len(n.Pipe.Decl) > 0 && !n.Pipe.IsAssign {
		outer = f.sub(nil, true, f.dot) // variables declared in the condition live in both branches
	}
	cond := w.evalPipe(outer, n.Pipe, true)
	dot := outer.dot
	if with {
		dot = cond
	}
	body := outer.sub(cond.expr, true, dot)
	w.walkList(body, n.List)
	outer.merge(body)
	if n.ElseList != nil {
		els := outer.sub(cond.expr, false, outer.dot)
		w.walkList(els, n.ElseList)
		outer.merge(els)
	}
	if outer != f {
		f.merge(outer)
	}
}

// walkRange walks a range block, and again when the first pass assigned to variables from
// outside, so that assignments in one iteration reach the next. The body runs when the list
// is not empty. Its elements are not known, but may be built from the names of the list.
func (w *walker) walkRange(f *frame, n *parse.BranchNode) {
	v := w.evalPipe(f, n.Pipe, false)
	w.consume(f, v, false)
	elem := aval{names: v.allNames()}
	body := f.sub(v.expr, true, elem)
	for _, d := range n.Pipe.Decl {
		body.vars = append(body.vars, variable{name: d.Ident[0], val: elem})
	}
	before := slices.Clone(body.vars)
	w.walkList(body, n.List)
	again := false
	for i := range before {
		if body.vars[i].set != before[i].set {
			body.vars[i].val = union(before[i].val, body.vars[i].val)
			again = true
		}
	}
	if again {
		w.walkList(body, n.List)
	}
	f.merge(body)
	if n.ElseList != nil {
		els := f.sub(v.expr, false, f.dot)
		w.walkList(els, n.ElseList)
		f.merge(els)
	}
}

// include walks the named template name with arg as dot, once per scope and argument; later
// calls only add their guard to the callers of the template's body.
func (w *walker) include(f *frame, name string, arg aval) {
	trees := w.m.defines[name]
	if len(trees) == 0 {
		return
	}
	key := name + "\x00" + strconv.Itoa(f.scope.id) + "\x00" + arg.fingerprint()
	if entry, ok := w.memo[key]; ok {
		entry.callers = append(entry.callers, f.guard)
		return
	}
	if w.depth >= maxDepth {
		return
	}
	entry := &guard{entry: true, callers: []*guard{f.guard}}
	w.memo[key] = entry
	w.idx.entries = append(w.idx.entries, entry)
	w.depth++
	defer func() { w.depth-- }()
	for _, t := range trees {
		g := &frame{scope: f.scope, dot: arg, vars: []variable{{name: "$", val: arg}}, guard: entry}
		w.walkList(g, t.Root)
	}
}

// evalPipe evaluates a pipeline: each command gets the previous result as its last argument.
// With bind, declarations and assignments take effect.
func (w *walker) evalPipe(f *frame, p *parse.PipeNode, bind bool) aval {
	if p == nil {
		return aval{}
	}
	var v aval
	for i, c := range p.Cmds {
		v = w.evalCmd(f, c, v, i > 0)
	}
	if !bind {
		return v
	}
	for _, d := range p.Decl {
		name := d.Ident[0]
		if p.IsAssign {
			f.vars = slices.Clone(f.vars)
			for i := len(f.vars) - 1; i >= 0; i-- {
				if f.vars[i].name == name {
					f.vars[i].val = v
					f.vars[i].set++
					break
				}
			}
			continue
		}
		f.vars = append(f.vars, variable{name: name, val: v})
	}
	return v
}

func (w *walker) evalCmd(f *frame, c *parse.CommandNode, final aval, hasFinal bool) aval {
	if len(c.Args) == 0 {
		return aval{}
	}
	if id, ok := c.Args[0].(*parse.IdentifierNode); ok {
		args := make([]aval, 0, len(c.Args))
		at := f
		for _, a := range c.Args[1:] {
			v := w.evalArg(at, a)
			args = append(args, v)
			if id.Ident == "and" || id.Ident == "or" {
				// and and or stop at the first operand that decides: the next one is read
				// only when this one has the other truth.
				at = at.sub(v.cond(), id.Ident == "and", at.dot)
			}
		}
		if hasFinal {
			args = append(args, final)
		}
		return w.call(f, id.Ident, args)
	}
	first := w.evalArg(f, c.Args[0])
	if len(c.Args) == 1 && !hasFinal {
		return first
	}
	// A method call such as .Files.Get "x" or .Capabilities.APIVersions.Has "x": its
	// arguments are used, the result is not known.
	for _, a := range c.Args[1:] {
		w.consume(f, w.evalArg(f, a), false)
	}
	if hasFinal {
		w.consume(f, final, false)
	}
	return aval{}
}

func (w *walker) evalArg(f *frame, n parse.Node) aval {
	switch n := n.(type) {
	case *parse.DotNode:
		return f.dot
	case *parse.FieldNode:
		return w.fields(f, f.dot, n.Ident)
	case *parse.VariableNode:
		var base aval
		for i := len(f.vars) - 1; i >= 0; i-- {
			if f.vars[i].name == n.Ident[0] {
				base = f.vars[i].val
				break
			}
		}
		return w.fields(f, base, n.Ident[1:])
	case *parse.ChainNode:
		return w.fields(f, w.evalArg(f, n.Node), n.Field)
	case *parse.PipeNode:
		return w.evalPipe(f, n, true)
	case *parse.IdentifierNode:
		return w.call(f, n.Ident, nil)
	case *parse.StringNode:
		return litVal(n.Text)
	case *parse.BoolNode:
		return litVal(n.True)
	case *parse.NilNode:
		return litVal(nil)
	case *parse.NumberNode:
		switch {
		case n.IsInt:
			return litVal(int(n.Int64))
		case n.IsFloat:
			return litVal(n.Float64)
		}
	}
	return aval{}
}

// fields applies field accesses to v.
func (w *walker) fields(f *frame, v aval, idents []string) aval {
	for _, id := range idents {
		v = w.field(f, v, id)
	}
	return v
}

func (w *walker) field(f *frame, v aval, name string) aval {
	// Most values are exactly one key; only unions need the list of alternatives.
	if v.root == nil && v.dict == nil && len(v.paths) == 1 {
		return w.valuesAt(f, concat(v.paths[0], name), v.guardOf(0))
	}
	var alts []aval
	if s := v.root; s != nil {
		switch name {
		case "Values":
			alts = append(alts, w.valuesAt(f, s.prefix, nil))
		case "Chart":
			alts = append(alts, aval{dict: map[string]aval{"Name": litVal(s.name)}})
		case "Template":
			alts = append(alts, aval{dict: map[string]aval{"BasePath": litVal(s.fullPath + "/templates")}})
		}
	}
	for i, p := range v.paths {
		alts = append(alts, w.valuesAt(f, concat(p, name), v.guardOf(i)))
	}
	if e, ok := v.dict[name]; ok {
		alts = append(alts, e)
	}
	if len(alts) == 0 && name == "Values" && v.root == nil && len(v.paths) == 0 && v.dict == nil {
		// A context that the walk lost track of, such as .context.Values or $root.Values in a
		// named template: take it to be the calling chart's.
		alts = append(alts, w.valuesAt(f, f.scope.prefix, nil))
	}
	if len(alts) == 0 {
		return aval{}
	}
	return union(alts...)
}

// valuesAt is the value of the key at p, taken from a value that only code under pg set (nil
// when any code did); it records a read.
func (w *walker) valuesAt(f *frame, p []string, pg *guard) aval {
	if len(p) > 0 {
		w.record(p, useRead, w.both(f.guard, pg))
	}
	v := aval{paths: [][]string{p}, expr: &cond{op: opPath, path: p}}
	if pg != nil {
		v.pg = []*guard{pg}
	}
	return v
}

// both is the guard of code that runs under g with a value that only code under pg set: it
// runs when both do.
func (w *walker) both(g, pg *guard) *guard {
	if pg == nil || pg == g {
		return g
	}
	k := [2]*guard{g, pg}
	if b, ok := w.pairs[k]; ok {
		return b
	}
	b := &guard{parent: g, also: pg}
	w.pairs[k] = b
	return b
}

// record notes a reference to the key at p. A subchart's globals are also recorded at the top
// level, where the user sets them.
func (w *walker) record(p []string, u use, g *guard) {
	w.recordAt(p, u, g)
	for _, s := range w.m.scopes[1:] {
		if n := len(s.prefix); len(p) > n && p[n] == "global" && hasPrefix(p, s.prefix) {
			w.recordAt(concat([]string{"global"}, p[n+1:]...), u, g)
		}
	}
}

// recordOmit notes a use of the key at p whole but for the keys in drop.
func (w *walker) recordOmit(p []string, drop map[string]bool, g *guard) {
	w.record(p, useOmit, g)
	w.idx.node(p).addOmit(drop)
	for _, s := range w.m.scopes[1:] {
		if n := len(s.prefix); len(p) > n && p[n] == "global" && hasPrefix(p, s.prefix) {
			w.idx.node(concat([]string{"global"}, p[n+1:]...)).addOmit(drop)
		}
	}
}

func (w *walker) recordAt(p []string, u use, g *guard) {
	n := w.idx.node(p)
	n.has[u] = true
	k := occKey{node: n, use: u, guard: g}
	if i, ok := w.seen[k]; ok {
		w.idx.occs[i].count++
		return
	}
	w.seen[k] = len(w.idx.occs)
	w.idx.occs = append(w.idx.occs, occurrence{node: n, use: u, guard: g, count: 1})
}

// consume records that v is used whole: printed, passed on or iterated. A top-level context
// counts only when it is serialized (serialize), not when it is passed on as a context.
func (w *walker) consume(f *frame, v aval, serialize bool) {
	for i, p := range v.paths {
		w.record(p, useWhole, w.both(f.guard, v.guardOf(i)))
	}
	for _, e := range v.dict {
		w.consume(f, e, serialize)
	}
	if v.root != nil && serialize {
		w.record(v.root.prefix, useWhole, f.guard)
	}
}
