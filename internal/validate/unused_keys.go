package validate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/unused"
)

// userLeaves returns the leaf key paths that the user set in any layer, each once, sorted.
// The chart's defaults are not among them: only what the user wrote is checked.
func userLeaves(layers []*layer) [][]string {
	seen := map[string]bool{}
	var out [][]string
	for _, l := range layers {
		for _, leaf := range unused.Leaves(l.vals) {
			k := strings.Join(leaf, "\x00")
			if !seen[k] {
				seen[k] = true
				out = append(out, leaf)
			}
		}
	}
	slices.SortFunc(out, slices.Compare)
	return out
}

// unusedKeys reports the keys the user set that change nothing in what the release renders,
// each at the key in the layer that wins.
func (v *validator) unusedKeys(ctx context.Context, r spec.ResolvedRelease, ch *chartv2.Chart, merged map[string]any, prep *render.Prepared, layers []*layer) []Finding {
	found, err := v.analyzer.AnalyzePrepared(ctx, ch, merged, prep, userLeaves(layers))
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return []Finding{{
			Severity: Warning, Code: CodeAnalysis, Release: r.Name, Pos: r.Pos,
			Message: oneLine(fmt.Sprintf("the unused-key analysis did not finish, so keys the chart ignores may go unreported: %v", err)),
		}}
	}
	var out []Finding
	for _, f := range found {
		pos := r.Pos
		if w := winner(layers, f.Path); w != nil {
			pos, _ = w.pos(v.doc, f.Path)
		}
		fd := Finding{Release: r.Name, Pos: pos, Path: f.Path}
		switch f.Kind {
		case unused.UnknownKey:
			fd.Severity, fd.Code = Warning, CodeUnknownKey
			if v.opts.Strict {
				fd.Severity = Error
			}
			fd.Message = fmt.Sprintf("chart %s does not use this key, so it changes nothing", f.Chart)
			fd.Suggestion = f.Suggestion
		case unused.NoEffect:
			fd.Severity, fd.Code = Info, CodeNoEffect
			fd.Message = noEffectMessage(f.Gate, map[string]any(prep.Values))
			fd.Gate = f.Gate
		default:
			continue
		}
		out = append(out, fd)
	}
	return out
}

// noEffectMessage says why a known key changes nothing, naming the key that turns it off and
// that key's value as the chart sees it.
func noEffectMessage(gate []string, coalesced map[string]any) string {
	if gate == nil {
		return "has no effect with the other values as they are"
	}
	val, ok := valueAt(coalesced, gate)
	switch {
	case !ok || val == nil:
		return fmt.Sprintf("has no effect while %s is not set", KeyPath(gate))
	default:
		return fmt.Sprintf("has no effect while %s is %s", KeyPath(gate), yamlValue(val))
	}
}

// yamlValue writes a value on one line as YAML flow writes it, the way users write values:
// {} and "" rather than Go's map[] and nothing.
func yamlValue(v any) string {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	flow(&n)
	out, err := yaml.Marshal(&n)
	if err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSpace(string(out))
}

// flow sets every mapping and list below n to flow style, on one line.
func flow(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style = yaml.FlowStyle
	}
	for _, c := range n.Content {
		flow(c)
	}
}

// valueAt returns the value at path in a values tree.
func valueAt(vals map[string]any, path []string) (any, bool) {
	var cur any = vals
	for _, seg := range path {
		var m map[string]any
		switch c := cur.(type) {
		case map[string]any:
			m = c
		case common.Values:
			m = c
		default:
			return nil, false
		}
		next, ok := m[seg]
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}
