package unused

import (
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/render"
)

// guard says when a piece of template code runs. A condition guard runs when its parent runs
// and its condition has the wanted truth (or a truth the walk cannot tell); a scope guard runs
// when its subchart is enabled; an entry guard, the body of a named template, runs when one of
// its callers runs. A nil guard always runs.
type guard struct {
	parent *guard
	c      *cond
	want   bool
	// scope is set on the guard of a subchart's templates.
	scope *scope
	// entry marks the guard of a named template's body; callers are the guards of its calls.
	entry   bool
	callers []*guard
	// also is set on the guard of code under parent that uses a value only the code under
	// also set: it runs when both run.
	also *guard
}

// verdict is whether guarded code runs, and the key that turns it off when it does not.
type verdict struct {
	dead bool
	gate []string
}

// liveness decides which guards run in one configuration.
type liveness struct {
	conds   *condEval
	scopes  map[*guard]verdict
	entries map[*guard]verdict
	memo    map[*guard]verdict
}

// evaluate decides, for the prepared values of one configuration, which references of the
// chart run.
func evaluate(m *chartModel, prep *render.Prepared) *refState {
	l := &liveness{
		conds:   &condEval{vals: prep.Values, memo: map[*cond]result{}},
		scopes:  map[*guard]verdict{},
		entries: map[*guard]verdict{},
		memo:    map[*guard]verdict{},
	}
	l.decideScopes(m, prep)
	l.decideEntries(m.refs.entries)
	st := &refState{idx: m.refs, uses: make([][useKinds]uses, m.refs.nodes)}
	for _, o := range m.refs.occs {
		v := l.verdict(o.guard)
		st.uses[o.node.id][o.use].add(v.dead, v.gate, o.count)
	}
	return st
}

// decideScopes finds the enabled subcharts: those that Helm's dependency processing kept. A
// disabled subchart is gated by its condition or tag, or by its disabled parent's.
func (l *liveness) decideScopes(m *chartModel, prep *render.Prepared) {
	enabled := map[string]bool{}
	var mark func(c *chartv2.Chart, prefix []string)
	mark = func(c *chartv2.Chart, prefix []string) {
		enabled[pathKey(prefix)] = true
		for _, d := range c.Dependencies() {
			mark(d, concat(prefix, d.Name()))
		}
	}
	mark(prep.Chart, nil)
	for _, s := range m.scopes[1:] { // parents come before their subcharts
		var v verdict
		switch parent := l.scopes[m.guards[s.parent]]; {
		case parent.dead:
			v = parent
		case !enabled[pathKey(s.prefix)]:
			v = verdict{dead: true, gate: disabledBy(s, prep.Values)}
		}
		l.scopes[m.guards[s]] = v
	}
}

// decideEntries finds the named templates that run: starting from none, a template runs when
// a call to it runs, until nothing changes. Recursive calls thus never make a template run on
// their own.
func (l *liveness) decideEntries(entries []*guard) {
	for _, e := range entries {
		l.entries[e] = verdict{dead: true}
	}
	for changed := true; changed; {
		changed = false
		for _, e := range entries {
			if !l.entries[e].dead {
				continue
			}
			for _, c := range e.callers {
				if !l.chain(c).dead {
					l.entries[e] = verdict{}
					changed = true
					break
				}
			}
		}
	}
	for _, e := range entries {
		if !l.entries[e].dead {
			continue
		}
		for _, c := range e.callers {
			if v := l.chain(c); v.gate != nil {
				l.entries[e] = v
				break
			}
		}
	}
}

// chain decides a guard with the entries as decided so far, remembering nothing.
func (l *liveness) chain(g *guard) verdict {
	switch {
	case g == nil:
		return verdict{}
	case g.entry:
		return l.entries[g]
	case g.scope != nil:
		return l.scopes[g]
	}
	if p := l.chain(g.parent); p.dead {
		return p
	}
	if g.also != nil {
		return l.chain(g.also)
	}
	return l.check(g)
}

// verdict decides a guard once the entries are decided.
func (l *liveness) verdict(g *guard) verdict {
	switch {
	case g == nil:
		return verdict{}
	case g.entry:
		return l.entries[g]
	case g.scope != nil:
		return l.scopes[g]
	}
	if v, ok := l.memo[g]; ok {
		return v
	}
	v := l.verdict(g.parent)
	switch {
	case v.dead:
	case g.also != nil:
		v = l.verdict(g.also)
	default:
		v = l.check(g)
	}
	l.memo[g] = v
	return v
}

// check evaluates the condition of a live guard's parent.
func (l *liveness) check(g *guard) verdict {
	r := l.conds.eval(g.c)
	if t := r.truth(); t != truthUnknown && t != truthOf(g.want) {
		return verdict{dead: true, gate: r.src}
	}
	return verdict{}
}
