package render

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"text/template"
	"time"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	"k8s.io/client-go/rest"
)

// DefaultReleaseName is the release name of `helm template` when none is given.
const DefaultReleaseName = "release-name"

// DefaultNamespace is the namespace of `helm template` when none is given.
const DefaultNamespace = "default"

// DefaultNow returns the time that the clock functions see in deterministic mode unless
// Options.Now says otherwise: 2024-01-01T00:00:00Z.
func DefaultNow() time.Time { return time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC) }

// DefaultCacheSize is how many renders a Renderer remembers unless Options.CacheSize says
// otherwise.
const DefaultCacheSize = 64

// Options configure a Renderer. The zero value renders like `helm template release-name`.
type Options struct {
	// ReleaseName is .Release.Name. Empty means DefaultReleaseName.
	ReleaseName string
	// Namespace is .Release.Namespace. Empty means DefaultNamespace.
	Namespace string
	// IsUpgrade renders as `helm template --is-upgrade`.
	IsUpgrade bool
	// KubeVersion replaces the Kubernetes version of Helm's default capabilities, like
	// --kube-version.
	KubeVersion string
	// APIVersions are added to Helm's default capabilities, like --api-versions.
	APIVersions []string
	// Capabilities, when set, replace Helm's default capabilities entirely (KubeVersion and
	// APIVersions are then ignored), as install and upgrade see a real cluster's.
	Capabilities *common.Capabilities
	// Revision is .Release.Revision. Zero means 1, as on install; an upgrade renders with the
	// last revision plus one.
	Revision int
	// Lookup, when set, lets the lookup function read from the cluster of this REST config, as
	// install and upgrade do. Nil makes lookup return empty results, as `helm template` does.
	Lookup *rest.Config
	// Lookups, when set with Lookup, records every call of the lookup function and a digest
	// of its answer.
	Lookups *Lookups
	// Deterministic replaces the template functions that depend on randomness or on the clock
	// with stable ones: the same Renderer renders the same input to the same bytes. Random
	// strings, numbers and UUIDs are derived from the function's arguments; RSA keys, even
	// those inside generated certificates, are one fixed key (a render in this mode is never
	// applied); certificates, other keys, bcrypt hashes and ciphertexts are computed once per
	// Renderer and argument list; clock functions see Now; keys and values of a dict come
	// sorted by key.
	Deterministic bool
	// Now is the time of the clock functions in deterministic mode. Zero means DefaultNow.
	Now time.Time
	// CacheSize bounds how many renders the Renderer remembers by (chart, values). Zero means
	// DefaultCacheSize; a negative number disables the cache.
	CacheSize int
}

// Renderer renders charts. It is safe for concurrent use. A chart passed to it must not be
// modified afterwards, because renders are remembered by chart and values.
type Renderer struct {
	opts  Options
	caps  *common.Capabilities
	funcs template.FuncMap
	cache *resultCache
}

// New returns a Renderer. It fails when Options.KubeVersion is not a version.
func New(opts Options) (*Renderer, error) {
	if opts.ReleaseName == "" {
		opts.ReleaseName = DefaultReleaseName
	}
	if opts.Namespace == "" {
		opts.Namespace = DefaultNamespace
	}
	if opts.Now.IsZero() {
		opts.Now = DefaultNow()
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.Revision == 0 {
		opts.Revision = 1
	}
	caps, err := capabilities(opts)
	if err != nil {
		return nil, err
	}
	r := &Renderer{opts: opts, caps: caps, cache: newResultCache(opts.CacheSize)}
	if opts.Deterministic {
		r.funcs = deterministicFuncs(opts.Now)
	}
	return r, nil
}

// capabilities are what .Capabilities shows: the cluster's when Options.Capabilities is set,
// else Helm's defaults with the overrides of the options.
func capabilities(opts Options) (*common.Capabilities, error) {
	if opts.Capabilities != nil {
		return opts.Capabilities.Copy(), nil
	}
	caps := common.DefaultCapabilities.Copy()
	if opts.KubeVersion != "" {
		kv, err := common.ParseKubeVersion(opts.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("kube version %q: %w", opts.KubeVersion, err)
		}
		caps.KubeVersion = *kv
	}
	caps.APIVersions = append(caps.APIVersions, opts.APIVersions...)
	return caps, nil
}

// Options returns the options of r, defaults filled in.
func (r *Renderer) Options() Options { return r.opts }

// TemplateFuncs returns the template functions that r adds to Helm's, for an
// action.Configuration that should render as r does: in deterministic mode, the stable
// replacements of the random and clock functions, which share r's memory of generated keys
// and certificates; otherwise nil.
func (r *Renderer) TemplateFuncs() template.FuncMap { return maps.Clone(r.funcs) }

// Render renders ch with the user's values vals (the merged -f files and --set flags, without
// the chart's defaults) and returns the text of every template by its path, such as
// "mychart/templates/deployment.yaml" or "mychart/charts/sub/templates/NOTES.txt". Partials
// (files whose name starts with "_") are left out, NOTES.txt files are kept. Neither ch nor
// vals is modified.
//
// The same (ch, vals) is rendered once: later calls return the remembered result until the
// cache evicts it.
func (r *Renderer) Render(ctx context.Context, ch *chartv2.Chart, vals map[string]any) (map[string]string, error) {
	if ch == nil {
		return nil, errors.New("render: no chart")
	}
	key, err := valuesKey(vals)
	if err != nil {
		return nil, err
	}
	files, err := r.cache.get(cacheKey{chart: ch, values: key}, func() (map[string]string, error) {
		return r.render(ctx, ch, vals)
	})
	if err != nil {
		return nil, err
	}
	return maps.Clone(files), nil
}

func (r *Renderer) render(ctx context.Context, ch *chartv2.Chart, vals map[string]any) (map[string]string, error) {
	p, err := r.Prepare(ch, vals)
	if err != nil {
		return nil, err
	}
	var e engine.Engine
	e.CustomTemplateFuncs = r.funcs
	if r.opts.Lookup != nil {
		lookup := ClusterLookup(r.opts.Lookup)
		if r.opts.Lookups != nil {
			lookup = r.opts.Lookups.recording(lookup)
		}
		e.CustomTemplateFuncs = maps.Clone(r.funcs)
		if e.CustomTemplateFuncs == nil {
			e.CustomTemplateFuncs = template.FuncMap{}
		}
		e.CustomTemplateFuncs["lookup"] = lookup
	}
	files, err := e.RenderWithContext(ctx, p.Chart, p.top)
	if err != nil {
		return nil, fmt.Errorf("render chart %s: %w", ch.Name(), err)
	}
	return files, nil
}

// Prepared is a chart made ready to render for some values, as Helm does before it runs the
// templates.
type Prepared struct {
	// Chart is a copy of the chart whose disabled subcharts are removed, whose subcharts carry
	// their aliases as names, and whose import-values are applied.
	Chart *chartv2.Chart
	// Values are what the root chart's templates see as .Values: the chart's defaults and the
	// enabled subcharts' defaults coalesced with the user's values.
	Values map[string]any
	// top is the whole render context: .Values, .Release, .Capabilities, .Chart.
	top common.Values
}

// Prepare does to a copy of ch what action.Install does before it runs the template engine:
// it enables or disables subcharts by their conditions and tags, applies import-values and
// coalesces the user's values vals with the defaults. Neither ch nor vals is modified.
func (r *Renderer) Prepare(ch *chartv2.Chart, vals map[string]any) (*Prepared, error) {
	if ch == nil {
		return nil, errors.New("prepare: no chart")
	}
	if vals == nil {
		vals = map[string]any{}
	}
	c := CloneChart(ch)
	if err := chartutil.ProcessDependencies(c, vals); err != nil {
		return nil, fmt.Errorf("process dependencies of chart %s: %w", ch.Name(), err)
	}
	if kv := c.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, r.caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart %s requires kubeVersion %s, which is incompatible with Kubernetes %s", ch.Name(), kv, r.caps.KubeVersion.Version)
	}
	opts := common.ReleaseOptions{
		Name:      r.opts.ReleaseName,
		Namespace: r.opts.Namespace,
		Revision:  r.opts.Revision,
		IsInstall: !r.opts.IsUpgrade,
		IsUpgrade: r.opts.IsUpgrade,
	}
	top, err := util.ToRenderValuesWithSchemaValidation(c, vals, opts, r.caps, true)
	if err != nil {
		return nil, fmt.Errorf("values of chart %s: %w", ch.Name(), err)
	}
	v, _ := top["Values"].(common.Values)
	return &Prepared{Chart: c, Values: v, top: top}, nil
}

// ValidateSchema checks the user's values vals, coalesced with the defaults of ch, against the
// values.schema.json of ch and of its enabled subcharts, as `helm install` does before it
// renders.
func (r *Renderer) ValidateSchema(ch *chartv2.Chart, vals map[string]any) error {
	p, err := r.Prepare(ch, vals)
	if err != nil {
		return err
	}
	if err := util.ValidateAgainstSchema(p.Chart, p.Values); err != nil {
		return fmt.Errorf("values don't meet the schema of chart %s: %w", ch.Name(), err)
	}
	return nil
}

// IsNotes reports whether a rendered path is a NOTES.txt, which Helm shows but does not apply.
func IsNotes(path string) bool { return strings.HasSuffix(path, "/NOTES.txt") }
