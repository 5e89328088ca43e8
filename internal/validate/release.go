package validate

import (
	"context"
	"fmt"

	"kaji.dev/kaji/internal/spec"
)

// release runs every check of one release and returns its findings, unsorted. With
// Options.Memory, a release known to be clean is not checked again, and one found clean is
// remembered.
func (v *validator) release(ctx context.Context, r spec.ResolvedRelease) []Finding {
	if v.opts.Memory == nil {
		return v.check(ctx, r)
	}
	ch, err := v.charts.load(ctx, r)
	if err != nil {
		return v.check(ctx, r) // which reports it
	}
	k, ok := v.key(r, v.sums.sum(ch))
	if ok && v.opts.Memory.Clean(k) {
		return nil
	}
	out := v.check(ctx, r)
	if !ok || len(out) > 0 || ctx.Err() != nil {
		return out
	}
	// The values files are read again: one changed during the checks is not remembered
	// under the key of what was there before.
	if again, ok := v.key(r, v.sums.sum(ch)); ok && again == k {
		v.opts.Memory.RememberClean(k)
	}
	return out
}

// check runs every check of one release and returns its findings, unsorted.
func (v *validator) check(ctx context.Context, r spec.ResolvedRelease) []Finding {
	if v.opts.checked != nil {
		v.opts.checked(r.Name)
	}
	at := func(code Code, pos spec.Pos, format string, args ...any) Finding {
		return Finding{Severity: Error, Code: code, Release: r.Name, Pos: pos, Message: oneLine(fmt.Sprintf(format, args...))}
	}
	ch, err := v.charts.load(ctx, r)
	if err != nil {
		return []Finding{at(CodeChart, v.doc.Pos("releases", v.fileIndex[r.Name], "chart"), "%v", err)}
	}
	layers, bad := v.readLayers(r)
	if bad != nil {
		return bad
	}
	refs := append(v.references(r.Name, layers), duplicateKeys(r.Name, layers)...)
	merged, err := v.values.Values(ctx, r)
	if err != nil {
		return append(refs, at(CodeValues, r.Pos, "the values cannot be merged: %v", err))
	}
	// Prepare does what Helm does before it renders: it enables subcharts, applies
	// import-values and coalesces the defaults. What fails here fails every render.
	prep, err := v.renderer.Prepare(ch, merged)
	if err != nil {
		return []Finding{at(CodeRender, r.Pos, "%v", err)}
	}
	out := append(refs, v.checkSchema(r, prep, layers)...)
	files, err := v.renderer.Render(ctx, ch, merged)
	if err != nil {
		if ctx.Err() != nil {
			return out
		}
		if te, ok := parseTemplateError(err); ok {
			return append(out, at(CodeRender, te.pos, "%s", te.message))
		}
		return append(out, at(CodeRender, r.Pos, "%v", err))
	}
	out = append(out, checkManifests(r.Name, files)...)
	out = append(out, v.unusedKeys(ctx, r, ch, merged, prep, layers)...)
	return append(out, v.against(ctx, r, ch, merged, layers)...)
}
