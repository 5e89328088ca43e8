package plan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/values"
)

// prepare loads the chart of w, merges its values, renders what apply would store, and
// compares it with the latest revision. Failures go to w.out.Err.
func (p *Planner) prepare(ctx context.Context, w *work, caps *chartcommon.Capabilities) {
	ch, vals, err := p.load(ctx, w)
	if err != nil {
		w.out.Err = err
		return
	}
	if st := statusOf(w.hist.latest); w.hist.latest != nil && (st.IsPending() || st == common.StatusUninstalling) {
		return // Helm will not touch it: nothing to render
	}
	w.text = chartText(ch, vals)
	w.callsLookup = callsLookup(w.text)
	w.out.Inputs = p.inputsDigest(w, caps)
	if p.storedIsRendered(w, w.out.Inputs) {
		if err := p.takeStored(w); err != nil {
			w.out.Err = fmt.Errorf("manifest of revision %d: %w", w.hist.latest.Version, err)
			return
		}
		w.rendered, w.stored = true, true
		return
	}
	if err := p.render(ctx, w, ch, vals, caps); err != nil {
		w.out.Err = err
		return
	}
	w.rendered = true
	p.checkDropped(ctx, w, ch, vals)
}

// load loads the chart of w and merges its values.
func (p *Planner) load(ctx context.Context, w *work) (*chartv2.Chart, map[string]any, error) {
	ch, err := p.Charts.Chart(ctx, w.spec)
	if err != nil {
		return nil, nil, err
	}
	vals, err := p.values().Values(ctx, w.spec)
	if err != nil {
		return nil, nil, err
	}
	if sv, ok := p.values().(values.Secrets); ok {
		// The diff is against the base revision, the live objects may hold the deployed one's
		// values, and the latest may be a failed upgrade: all of them are previous values.
		for _, r := range []*rspb.Release{w.hist.latest, w.hist.deployed} {
			if r != nil {
				sv.Previous(w.spec.Name, r.Config)
			}
		}
	}
	w.out.Loaded, w.out.Values = ch, vals
	if ch.Metadata != nil {
		w.out.Chart, w.out.Version = ch.Metadata.Name, ch.Metadata.Version
	}
	return ch, vals, nil
}

// maskedValues are the values of w to take a digest of: its values with each secret masked
// (values.Masker), or as they are when the source holds no secrets.
func (p *Planner) maskedValues(w *work) map[string]any {
	if m, ok := p.values().(values.Masker); ok {
		if vals, ok := m.Masked(w.spec); ok {
			return vals
		}
	}
	return w.out.Values
}

// values is the planner's source of values.
func (p *Planner) values() values.Source {
	if p.Values == nil {
		return values.Files{}
	}
	return p.Values
}

func (p *Planner) render(ctx context.Context, w *work, ch *chartv2.Chart, vals map[string]any, caps *chartcommon.Capabilities) error {

	upgrade := !w.hist.installable()
	opts := render.Options{
		ReleaseName:  w.spec.Name,
		Namespace:    w.spec.Namespace,
		IsUpgrade:    upgrade,
		Capabilities: caps,
		Lookup:       p.Lookup,
		CacheSize:    -1, // a second render must run the templates again
	}
	if w.callsLookup && p.Lookup != nil {
		opts.Lookups = &render.Lookups{}
		defer func() { w.out.Lookups = encodeLookups(opts.Lookups, w.desired) }()
	}
	w.out.Revision = 1
	if w.hist.latest != nil {
		w.out.Revision = w.hist.latest.Version + 1
	}
	if upgrade {
		opts.Revision = w.out.Revision // an install renders revision 1 even when it replaces history
	}
	r, err := render.New(opts)
	if err != nil {
		return err
	}
	if err := r.ValidateSchema(ch, vals); err != nil {
		return err
	}
	manifest, hooks, err := renderManifest(ctx, r, ch, vals)
	if err != nil {
		return err
	}
	w.out.Hooks = hooksFired(hooks, upgrade)
	desired, err := parseManifest(manifest)
	if err != nil {
		return fmt.Errorf("rendered manifest: %w", err)
	}
	// What apply sends, and so what the dry run sends, is without the ignored fields.
	removed := w.stripRendered(desired)
	w.desired = place(desired, w.spec.Name, w.spec.Namespace, p.Discovery)
	w.noteIgnored(removed)
	w.crds, err = chartCRDs(ch, p.Discovery)
	if err != nil {
		return err
	}

	if !upgrade {
		return nil
	}
	latest := w.hist.latest
	stored, err := parseManifest(latest.Manifest)
	if err != nil {
		return fmt.Errorf("manifest of revision %d: %w", latest.Version, err)
	}
	// A revision applied before ignoreDifferences named a field still has it: a change in
	// ignored fields alone is no upgrade.
	w.stripRendered(stored)
	if base := w.hist.base(); base == latest {
		w.base = place(stored, w.spec.Name, w.spec.Namespace, p.Discovery)
	} else {
		objs, err := parseManifest(base.Manifest)
		if err != nil {
			return fmt.Errorf("manifest of revision %d: %w", base.Version, err)
		}
		w.stripRendered(objs)
		w.base = place(objs, w.spec.Name, w.spec.Namespace, p.Discovery)
	}

	if from, to := chartName(latest.Chart), chartName(ch); from != to {
		w.cmp.chart = from + " → " + to
	}
	w.cmp.values = !sameValues(latest.Config, vals)
	w.cmp.manifest = !sameObjects(stored, desired, w.ignore)
	if w.cmp.manifest && w.cmp.chart == "" && !w.cmp.values {
		again, _, err := renderManifest(ctx, r, ch, vals)
		if err != nil {
			return err
		}
		w.cmp.nondeterministic = again != manifest
	}
	return nil
}

// renderManifest renders ch and builds the manifest that Helm would store for it: hooks and
// NOTES.txt left out, documents sorted in install order, each under its "# Source:" header.
// The hooks are returned apart.
func renderManifest(ctx context.Context, r *render.Renderer, ch *chartv2.Chart, vals map[string]any) (string, []*rspb.Hook, error) {
	files, err := r.Render(ctx, ch, vals)
	if err != nil {
		return "", nil, err
	}
	for name := range files {
		if render.IsNotes(name) {
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return "", nil, fmt.Errorf("chart %s renders invalid YAML: %w", ch.Name(), err)
	}
	var b strings.Builder
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Name, m.Content)
	}
	return b.String(), hooks, nil
}

// hooksFired keeps the hooks that an install, or an upgrade, runs.
func hooksFired(hooks []*rspb.Hook, upgrade bool) []Hook {
	pre, post := rspb.HookPreInstall, rspb.HookPostInstall
	if upgrade {
		pre, post = rspb.HookPreUpgrade, rspb.HookPostUpgrade
	}
	var out []Hook
	for _, h := range hooks {
		var events []string
		for _, e := range h.Events {
			if e == pre || e == post {
				events = append(events, string(e))
			}
		}
		if len(events) > 0 {
			out = append(out, Hook{Kind: h.Kind, Name: h.Name, Events: events})
		}
	}
	return out
}

func chartName(ch *chartv2.Chart) string {
	if ch == nil || ch.Metadata == nil {
		return ""
	}
	return ch.Metadata.Name + " " + ch.Metadata.Version
}

// sameValues compares two sets of user values as JSON, which is how Helm stores them: 1 and
// 1.0 are the same, and so are no values and empty values.
func sameValues(a, b map[string]any) bool {
	ja, erra := canonicalJSON(a)
	jb, errb := canonicalJSON(b)
	return erra == nil && errb == nil && bytes.Equal(ja, jb)
}

func canonicalJSON(m map[string]any) ([]byte, error) {
	if m == nil {
		m = map[string]any{}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// sameObjects compares two manifests object by object, whatever their order and formatting,
// without the ignored fields: those another tool that upgraded the release added to its
// manifest, such as Flux's labels, are no change.
func sameObjects(a, b []*unstructured.Unstructured, ignore []FieldPath) bool {
	if len(a) != len(b) {
		return false
	}
	index := make(map[string]*unstructured.Unstructured, len(a))
	for _, u := range a {
		index[refOf(u).key()] = u
	}
	for _, u := range b {
		o, ok := index[refOf(u).key()]
		if !ok || !reflect.DeepEqual(strip(o.Object, ignore), strip(u.Object, ignore)) {
			return false
		}
	}
	return true
}

// chartCRDs parses the files of the chart's crds/ directories (its subcharts' too).
func chartCRDs(ch *chartv2.Chart, d Discovery) ([]object, error) {
	var out []object
	for _, crd := range ch.CRDObjects() {
		objs, err := parseManifest(string(crd.File.Data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", crd.Filename, err)
		}
		for _, u := range objs {
			o := object{u: u, ref: refOf(u)}
			o.mapping, o.err = d.Mapping(u.GroupVersionKind())
			out = append(out, o)
		}
	}
	return out, nil
}
