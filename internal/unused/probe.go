package unused

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"sync"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// probeText marks strings that the analysis puts into values to see whether they matter.
const probeText = "kaji-probe"

// prober checks candidates by rendering: a candidate is confirmed when every variant of the
// values (the unit removed, each leaf changed to a value of the other truth, each leaf changed
// to another value of its type, each leaf set to the literals the templates compare it with)
// renders byte-identical to the values as they are.
type prober struct {
	a    *Analyzer
	ctx  context.Context
	ch   *chartv2.Chart
	vals map[string]any
	base map[string]string
	refs *refIndex
	sem  chan struct{}
}

// variant changes a private copy of the values for a set of candidates. It reports false when
// it changes nothing.
type variant func(vals map[string]any, cs []*candidate) bool

// confirm returns, for each candidate, whether rendering confirms it. Unknown keys are checked
// one by one; keys without effect are checked in one batch, halved where a batch fails.
func (p *prober) confirm(cands []*candidate) []bool {
	out := make([]bool, len(cands))
	var wg sync.WaitGroup
	var batch []int
	for i, c := range cands {
		if c.kind == UnknownKey {
			wg.Go(func() { out[i] = p.silent([]*candidate{c}) })
			continue
		}
		batch = append(batch, i)
	}
	wg.Go(func() { p.bisect(cands, batch, out) })
	wg.Wait()
	return out
}

// bisect confirms the candidates idx together, or splits them in halves.
func (p *prober) bisect(cands []*candidate, idx []int, out []bool) {
	if len(idx) == 0 {
		return
	}
	cs := make([]*candidate, len(idx))
	for i, j := range idx {
		cs[i] = cands[j]
	}
	if p.silent(cs) {
		for _, j := range idx {
			out[j] = true
		}
		return
	}
	if len(idx) == 1 {
		return
	}
	mid := len(idx) / 2
	var wg sync.WaitGroup
	wg.Go(func() { p.bisect(cands, idx[:mid], out) })
	p.bisect(cands, idx[mid:], out)
	wg.Wait()
}

// silent reports whether every variant of the values for cs renders as the base does.
func (p *prober) silent(cs []*candidate) bool {
	variants := []variant{p.remove, p.flip, p.other}
	for k := range maxProbes(p.refs, cs) {
		variants = append(variants, p.probe(k))
	}
	results := make([]bool, len(variants))
	var wg sync.WaitGroup
	for i, v := range variants {
		wg.Go(func() { results[i] = p.same(v, cs) })
	}
	wg.Wait()
	for _, ok := range results {
		if !ok {
			return false
		}
	}
	return true
}

// same renders the values changed by v and compares with the base. A failed render counts as
// a difference.
func (p *prober) same(v variant, cs []*candidate) bool {
	vals, _ := deepCopy(p.vals).(map[string]any)
	if !v(vals, cs) {
		return true
	}
	select {
	case p.sem <- struct{}{}:
	case <-p.ctx.Done():
		return false
	}
	defer func() { <-p.sem }()
	out, err := p.a.r.Render(p.ctx, p.ch, vals)
	return err == nil && maps.Equal(out, p.base)
}

func (p *prober) remove(vals map[string]any, cs []*candidate) bool {
	for _, c := range cs {
		deletePath(vals, c.unit)
	}
	return true
}

func (p *prober) flip(vals map[string]any, cs []*candidate) bool {
	return p.eachLeaf(vals, cs, flipped)
}

func (p *prober) other(vals map[string]any, cs []*candidate) bool {
	return p.eachLeaf(vals, cs, another)
}

// probe sets every leaf that templates compare with literals to its k-th literal.
func (p *prober) probe(k int) variant {
	return func(vals map[string]any, cs []*candidate) bool {
		changed := false
		for _, c := range cs {
			for _, leaf := range c.leaves {
				lits := p.refs.probesAt(leaf)
				if k < len(lits) {
					setPath(vals, leaf, lits[k])
					changed = true
				}
			}
		}
		return changed
	}
}

func (p *prober) eachLeaf(vals map[string]any, cs []*candidate, change func(any) any) bool {
	for _, c := range cs {
		for _, leaf := range c.leaves {
			old, _ := lookup(p.vals, leaf)
			setPath(vals, leaf, change(old))
		}
	}
	return true
}

func maxProbes(refs *refIndex, cs []*candidate) int {
	n := 0
	for _, c := range cs {
		for _, leaf := range c.leaves {
			n = max(n, len(refs.probesAt(leaf)))
		}
	}
	return n
}

// flipped returns a value of the other truth: false for true, "" for "x", 0 for 3, and back.
func flipped(v any) any {
	if truthy(v) {
		switch v.(type) {
		case bool:
			return false
		case string:
			return ""
		case []any:
			return []any{}
		case map[string]any:
			return map[string]any{}
		case json.Number:
			return json.Number("0")
		}
		if rv := reflect.ValueOf(v); rv.CanInt() || rv.CanFloat() || rv.CanUint() {
			return reflect.Zero(rv.Type()).Interface()
		}
		return nil
	}
	switch v.(type) {
	case bool:
		return true
	case []any:
		return []any{probeText}
	case map[string]any:
		return map[string]any{probeText: probeText}
	case json.Number:
		return json.Number("1")
	case nil, string:
		return probeText
	}
	switch rv := reflect.ValueOf(v); {
	case rv.CanInt():
		return reflect.ValueOf(int64(1)).Convert(rv.Type()).Interface()
	case rv.CanFloat():
		return reflect.ValueOf(float64(1)).Convert(rv.Type()).Interface()
	case rv.CanUint():
		return reflect.ValueOf(uint64(1)).Convert(rv.Type()).Interface()
	}
	return probeText
}

// another returns a different value of the same type and truth where there is one: a longer
// string, a number 1000 higher, a list of other length, a map with another key.
func another(v any) any {
	switch v := v.(type) {
	case bool:
		return !v
	case string:
		return v + "-" + probeText
	case []any:
		switch len(v) {
		case 0:
			return []any{probeText, probeText + "-2"}
		case 1:
			return []any{v[0], v[0]}
		}
		return v[:1]
	case map[string]any:
		m := maps.Clone(v)
		m[probeText+"-2"] = probeText
		return m
	case json.Number:
		return json.Number(string(v) + "1")
	case nil:
		return int64(1000)
	}
	switch rv := reflect.ValueOf(v); {
	case rv.CanInt():
		return reflect.ValueOf(rv.Int() + 1000).Convert(rv.Type()).Interface()
	case rv.CanFloat():
		return reflect.ValueOf(rv.Float() + 1000).Convert(rv.Type()).Interface()
	case rv.CanUint():
		return reflect.ValueOf(rv.Uint() + 1000).Convert(rv.Type()).Interface()
	}
	return probeText
}
