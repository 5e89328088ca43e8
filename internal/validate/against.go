package validate

import (
	"context"
	"fmt"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/upgrade"
)

// against compares the chart of r, as kaji.yaml loads it, with the version that
// Options.AgainstVersions gives for r, taken to be the one deployed: each key of the user's
// values that that version reads and ch ignores is an error at the key.
func (v *validator) against(ctx context.Context, r spec.ResolvedRelease, ch *chartv2.Chart, merged map[string]any, layers []*layer) []Finding {
	version, ok := v.opts.AgainstVersions[r.Name]
	if !ok || ch.Metadata != nil && ch.Metadata.Version == version {
		return nil
	}
	at := func(format string, args ...any) []Finding {
		return []Finding{{Severity: Error, Code: CodeDroppedKey, Release: r.Name, Pos: r.Pos, Message: oneLine(fmt.Sprintf(format, args...))}}
	}
	if r.ChartKind == spec.ChartLocal {
		return at("--against-version needs a chart from a repository or registry, which has other versions; release %s's chart is a local directory", r.Name)
	}
	from, err := v.loader.Load(ctx, r.Chart, version)
	if err != nil {
		return at("load version %s to compare with: %v", version, err)
	}
	dropped, err := (&upgrade.Comparer{Analyzer: v.analyzer}).Compare(ctx, from.Chart, ch, merged)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return at("the comparison with version %s did not finish: %v", version, err)
	}
	var out []Finding
	for _, d := range dropped {
		pos := r.Pos
		if w := winner(layers, d.Path); w != nil {
			pos, _ = w.pos(v.doc, d.Path)
		}
		out = append(out, Finding{Severity: Error, Code: CodeDroppedKey, Release: r.Name, Pos: pos, Path: d.Path,
			Message: d.Message(), Suggestion: d.Suggestion, Gate: d.Gate})
	}
	return out
}
