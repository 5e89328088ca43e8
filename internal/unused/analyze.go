package unused

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/render"
)

// Options configure an Analyzer.
type Options struct {
	// Renderer renders the chart to check what the static reading cannot settle. It must be
	// deterministic. Nil means a deterministic Renderer with default options.
	Renderer *render.Renderer
	// Parallelism bounds how many renders run at once. Zero means GOMAXPROCS.
	Parallelism int
}

// Analyzer finds values keys that change nothing in the rendered output. It is safe for
// concurrent use, and remembers what it learns about each chart, so use one per process.
// A chart passed to it must not be modified afterwards.
type Analyzer struct {
	r   *render.Renderer
	par int

	mu     sync.Mutex
	models map[*chartv2.Chart]*modelOnce
}

type modelOnce struct {
	once sync.Once
	m    *chartModel
	err  error
}

// New returns an Analyzer.
func New(opts Options) (*Analyzer, error) {
	r := opts.Renderer
	if r == nil {
		var err error
		if r, err = render.New(render.Options{Deterministic: true}); err != nil {
			return nil, err
		}
	}
	if !r.Options().Deterministic {
		return nil, errors.New("the analyzer needs a deterministic renderer: set render.Options.Deterministic")
	}
	par := opts.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	return &Analyzer{r: r, par: par, models: map[*chartv2.Chart]*modelOnce{}}, nil
}

func (a *Analyzer) model(ch *chartv2.Chart) (*chartModel, error) {
	a.mu.Lock()
	e, ok := a.models[ch]
	if !ok {
		e = &modelOnce{}
		a.models[ch] = e
	}
	a.mu.Unlock()
	e.once.Do(func() { e.m, e.err = buildModel(ch) })
	return e.m, e.err
}

// Analyze finds the keys among set, the leaf paths the user set in vals, that change nothing
// when ch is rendered with vals (the user's merged values, without the chart's defaults).
// Leaf paths are key segments, so keys may contain dots; Leaves computes them from vals. The
// findings come sorted by path.
//
// A key is reported only when rendering proves it: the output with the key removed, and with
// its value changed, is byte-identical to the output with the key as set. Analyze renders only
// when the static reading leaves such candidates, and then fails if ch does not render with
// vals; it does not validate vals against the chart's schema (see render.ValidateSchema).
func (a *Analyzer) Analyze(ctx context.Context, ch *chartv2.Chart, vals map[string]any, set [][]string) ([]Finding, error) {
	if vals == nil {
		vals = map[string]any{}
	}
	prep, err := a.r.Prepare(ch, vals)
	if err != nil {
		return nil, err
	}
	return a.AnalyzePrepared(ctx, ch, vals, prep, set)
}

// AnalyzePrepared is Analyze for a caller that has already prepared ch with vals (with the
// Analyzer's Renderer, and not rendered from that Prepared since): it saves preparing them
// again. Analyze only reads prep.
func (a *Analyzer) AnalyzePrepared(ctx context.Context, ch *chartv2.Chart, vals map[string]any, prep *render.Prepared, set [][]string) ([]Finding, error) {
	if vals == nil {
		vals = map[string]any{}
	}
	m, err := a.model(ch)
	if err != nil {
		return nil, err
	}
	refs := evaluate(m, prep)
	cands := classify(m, refs, vals, set)
	if len(cands) == 0 {
		return nil, nil
	}
	base, err := a.r.Render(ctx, ch, vals)
	if err != nil {
		return nil, fmt.Errorf("render chart %s with the values to analyze: %w", ch.Name(), err)
	}
	p := &prober{a: a, ctx: ctx, ch: ch, vals: vals, base: base, refs: m.refs, sem: make(chan struct{}, a.par)}
	confirmed := p.confirm(cands)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Finding
	for i, c := range cands {
		if !confirmed[i] {
			continue
		}
		slices.SortFunc(c.leaves, slices.Compare)
		f := Finding{Kind: c.kind, Severity: c.kind.Severity(), Path: c.unit, Leaves: c.leaves, Chart: m.scopeOf(c.unit).label()}
		if c.kind == UnknownKey {
			f.Suggestion = suggest(m, refs, vals, c.unit)
		} else {
			f.Gate = c.gate
		}
		out = append(out, f)
	}
	sortFindings(out)
	return out, nil
}

// helmReads are the value paths, relative to the parent, that Helm reads to enable s.
func helmReads(s *scope) [][]string {
	for _, sub := range subcharts(s.parent.chart) {
		if sub.chart == s.chart && sub.name == s.name {
			return sub.reads
		}
	}
	return nil
}

// disabledBy names the key that disables subchart s: the first of its conditions that is set
// to a boolean, else the first of its tags that is set.
func disabledBy(s *scope, vals map[string]any) []string {
	for _, p := range helmReads(s) {
		q := concat(s.parent.prefix, p...)
		if v, ok := lookup(vals, q); ok {
			if _, isBool := v.(bool); isBool {
				return q
			}
		}
	}
	return nil
}

// scopeOf returns the chart whose values hold p: the deepest subchart whose prefix p has.
func (m *chartModel) scopeOf(p []string) *scope {
	best := m.root
	for _, s := range m.scopes {
		if len(s.prefix) > len(best.prefix) && len(p) > len(s.prefix) && hasPrefix(p, s.prefix) {
			best = s
		}
	}
	return best
}

// candidate is a key that the static reading suspects: unknown, or known without effect.
type candidate struct {
	kind   Kind
	unit   []string
	leaves [][]string
	gate   []string
}

// classify sorts the user's leaves into candidates. A leaf whose path the chart knows down to
// its end is its own unit; a leaf below a free-form key (a map whose contents the chart takes
// as they are) belongs to that key; a leaf below a key the chart does not know belongs to the
// first unknown segment. Units that some live template code uses are not candidates.
func classify(m *chartModel, refs *refState, vals map[string]any, set [][]string) []*candidate {
	byUnit := map[string]*candidate{}
	var order []*candidate
	for _, leaf := range set {
		if len(leaf) == 0 {
			continue
		}
		if _, ok := lookup(vals, leaf); !ok {
			continue
		}
		kind, unit := NoEffect, leaf
		known, free := knownDepth(m, leaf)
		switch {
		case known == len(leaf):
		case free:
			unit = leaf[:known]
		default:
			kind, unit = UnknownKey, leaf[:known+1]
		}
		if len(unit) == 0 {
			continue
		}
		k := pathKey(unit)
		c, ok := byUnit[k]
		if !ok {
			c = &candidate{kind: kind, unit: slices.Clone(unit)}
			byUnit[k] = c
			order = append(order, c)
		}
		c.leaves = append(c.leaves, leaf)
	}
	var out []*candidate
	for _, c := range order {
		if c.kind == NoEffect {
			cov := refs.covering(c.unit)
			if cov.live > 0 || helmReadBelow(m.static, c.unit) {
				continue
			}
			c.gate = cov.gate()
		}
		out = append(out, c)
	}
	return out
}

// knownDepth returns how many segments of p the chart knows, from its defaults, schemas and
// template references, and whether a known key on the way takes any content below it. A
// segment that a lookup by computed name may spell at its level counts as known (see
// computed.go).
func knownDepth(m *chartModel, p []string) (int, bool) {
	free := false
	s, rs := m.static, []refPos{{node: m.refs.root}}
	for i, seg := range p {
		if s.freeForm() || slices.ContainsFunc(rs, func(r refPos) bool { return r.wholeBelow(seg) }) {
			free = true
		}
		var next []refPos
		for _, r := range rs {
			next = m.refs.step(r, seg, next)
		}
		s, rs = s.child(seg), next
		if s == nil && len(rs) == 0 {
			return i, free
		}
	}
	return len(p), free
}

// helmReadBelow reports whether Helm itself reads p or a key below it.
func helmReadBelow(st *staticNode, p []string) bool {
	n := st
	for _, seg := range p {
		if n = n.child(seg); n == nil {
			return false
		}
	}
	var below func(n *staticNode) bool
	below = func(n *staticNode) bool {
		if n.helmRead {
			return true
		}
		for _, k := range n.kids {
			if below(k) {
				return true
			}
		}
		return false
	}
	return below(n)
}
