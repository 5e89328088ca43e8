package unused

// cond is how a template computes a value from .Values, as far as the walk understands it.
// The walk builds conds once per chart; each analysis evaluates them with its own values.
type cond struct {
	op   condOp
	lit  any      // opLit; the key of opHasKey
	path []string // opPath
	args []*cond
}

type condOp uint8

const (
	opUnknown  condOp = iota
	opLit             // a literal of the template
	opPath            // the value of a key
	opNot             // not, and empty: the other truth of args[0]
	opAnd             // and args...
	opOr              // or args...
	opEq              // eq args[0] args[1:]...
	opNe              // ne args[0] args[1]
	opHasKey          // hasKey args[0] lit
	opDefault         // default args[0] args[1]
	opCoalesce        // coalesce args...
	opTernary         // ternary args[0] args[1] args[2]
)

// result is the value of a cond in one configuration: whether it is known, the value, and the
// key that decided it.
type result struct {
	known bool
	v     any
	src   []string
	// compound says that src alone does not decide the value: an and or or of several keys.
	compound bool
}

func (r result) truth() truth {
	if !r.known {
		return truthUnknown
	}
	return truthOf(truthy(r.v))
}

// condEval evaluates conds with the coalesced values of one configuration, each once.
type condEval struct {
	vals map[string]any
	memo map[*cond]result
}

func (e *condEval) eval(c *cond) result {
	if r, ok := e.memo[c]; ok {
		return r
	}
	r := e.compute(c)
	e.memo[c] = r
	return r
}

func (e *condEval) compute(c *cond) result {
	switch c.op {
	case opLit:
		return result{known: true, v: c.lit}
	case opPath:
		if hasComputed(c.path) {
			return result{src: c.path}
		}
		v, ok := concrete(e.vals, c.path)
		return result{known: ok, v: v, src: c.path}
	case opNot:
		a := e.eval(c.args[0])
		if !a.known {
			return result{src: a.src}
		}
		return result{known: true, v: !truthy(a.v), src: a.src, compound: a.compound}
	case opAnd, opOr:
		return e.andOr(c)
	case opEq, opNe:
		return e.compare(c)
	case opHasKey:
		m := e.eval(c.args[0])
		key, _ := c.lit.(string)
		mm, isMap := m.v.(map[string]any)
		if !m.known || !isMap {
			return result{}
		}
		_, has := mm[key]
		return result{known: true, v: has, src: concat(m.src, key)}
	case opDefault:
		d, v := e.eval(c.args[0]), e.eval(c.args[1])
		if !v.known {
			return result{src: v.src}
		}
		if truthy(v.v) {
			return v
		}
		return result{known: d.known, v: d.v, src: v.src}
	case opCoalesce:
		for _, a := range c.args {
			r := e.eval(a)
			if !r.known {
				return result{}
			}
			if truthy(r.v) {
				return r
			}
		}
		return result{known: true}
	case opTernary:
		t := e.eval(c.args[2]).truth()
		switch t {
		case truthTrue:
			return e.eval(c.args[0])
		case truthFalse:
			return e.eval(c.args[1])
		}
	}
	return result{}
}

// andOr evaluates and/or by truth. The result is the argument that decides; when several
// could, the one that decides on its own (a key, not an and or or of several) is named as the
// source, so that a gate is the key whose value turns the code off, not the first operand of
// a nested or.
func (e *condEval) andOr(c *cond) result {
	decisive := truthFalse // and is false as soon as one argument is false
	if c.op == opOr {
		decisive = truthTrue
	}
	all := true
	rs := make([]result, len(c.args))
	var decided *result
	for i, a := range c.args {
		rs[i] = e.eval(a)
		switch rs[i].truth() {
		case decisive:
			if decided == nil || decided.compound && !rs[i].compound {
				decided = &rs[i]
			}
		case truthUnknown:
			all = false
		}
		if decided != nil && !decided.compound {
			break
		}
	}
	if decided != nil {
		return *decided
	}
	if !all || len(c.args) == 0 {
		return result{}
	}
	// No argument decides: every one has the other truth, and the last is the value.
	src := rs[0]
	for _, r := range rs {
		if !r.compound {
			src = r
			break
		}
	}
	return result{known: true, v: rs[len(rs)-1].v, src: src.src, compound: len(rs) > 1}
}

// compare evaluates eq and ne on basic values.
func (e *condEval) compare(c *cond) result {
	var src []string
	rs := make([]result, len(c.args))
	for i, a := range c.args {
		rs[i] = e.eval(a)
		if src == nil && rs[i].src != nil {
			src = rs[i].src
		}
	}
	if len(rs) < 2 || !rs[0].known {
		return result{src: src}
	}
	eq := false
	for _, b := range rs[1:] {
		if !b.known {
			return result{src: src}
		}
		same, ok := equal(rs[0].v, b.v)
		if !ok {
			return result{src: src}
		}
		eq = eq || same
	}
	return result{known: true, v: eq != (c.op == opNe), src: src}
}

// concrete looks p up in the coalesced values. A missing last key is nil, as in a template; a
// missing map on the way makes the template fail, so nothing is known.
func concrete(vals map[string]any, p []string) (any, bool) {
	if len(p) == 0 {
		return vals, vals != nil
	}
	parent, ok := lookup(vals, p[:len(p)-1])
	if !ok {
		return nil, false
	}
	m, ok := parent.(map[string]any)
	if !ok {
		return nil, false
	}
	return m[p[len(p)-1]], true
}
