package validate

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/secrets/sopsvalues"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/unused"
	"kaji.dev/kaji/internal/values"
)

// Options configure a validation. The zero value validates like `helm template` with Helm's
// default capabilities.
type Options struct {
	// KubeVersion is the Kubernetes version to render for, like helm template --kube-version.
	// Empty means Helm's default: the version of the Kubernetes client kaji is built with.
	KubeVersion string
	// Strict makes unknown keys errors instead of warnings.
	Strict bool
	// Parallelism bounds how many releases are checked at once, and how many renders each
	// unused-key analysis runs at once. Zero means GOMAXPROCS.
	Parallelism int
	// ChartCache is the chart cache directory. Empty means the chart package's default.
	ChartCache string
	// Loader, when set, is used instead of a new chart loader, so that a command that goes on
	// to apply fetches every repository index only once.
	Loader *chart.Loader
	// Charts, when set, loads the chart of each release instead of Loader: kaji passes the
	// run's kaji.lock, so that validation checks the very charts that plan and apply load.
	Charts ReleaseCharts
	// AgainstVersions maps a release name to another version of its chart, taken to be the
	// one deployed: the keys of the release's values that it reads and the version of
	// kaji.yaml ignores are dropped-key errors, as kaji plan reports them for an upgrade.
	AgainstVersions map[string]string
	// Memory, when set, skips the checks of a release that validated without a finding in an
	// earlier run, with the same chart, values and options (see Key), and records the
	// releases that do.
	Memory Memory
	// Document, when set, is the kaji.yaml at file as the run already read it: Run checks it
	// rather than reading file again.
	Document *spec.Document

	// checked, when set, is told each release whose checks run: what tests count.
	checked func(release string)
}

// ReleaseCharts loads the chart of a release, at the version it is pinned to.
type ReleaseCharts interface {
	// Pin returns the pin that r loads, or nil when it loads the version kaji.yaml gives. An
	// error (a release that kaji.lock does not pin) is a finding of the release.
	Pin(ctx context.Context, r spec.ResolvedRelease) (*chart.Pin, error)
	// Load loads the chart of r.
	Load(ctx context.Context, r spec.ResolvedRelease) (*chart.Loaded, error)
}

// loaderCharts loads each release's chart at the version kaji.yaml gives.
type loaderCharts struct{ loader *chart.Loader }

func (loaderCharts) Pin(context.Context, spec.ResolvedRelease) (*chart.Pin, error) { return nil, nil }

func (c loaderCharts) Load(ctx context.Context, r spec.ResolvedRelease) (*chart.Loaded, error) {
	return c.loader.Load(ctx, r.Chart, r.Version)
}

// Run validates the kaji.yaml at file (or file/kaji.yaml) with environment env (empty for
// none) and returns every finding. An error means validation could not run at all: kaji.yaml
// cannot be read, the environment does not exist, or ctx ended. Mistakes in kaji.yaml are
// findings, not errors.
func Run(ctx context.Context, file, env string, opts Options) (*Report, error) {
	doc, err := opts.Document, error(nil)
	if doc == nil {
		doc, err = spec.Load(file)
	}
	if err != nil {
		var ps spec.Problems
		if errors.As(err, &ps) {
			rep := &Report{Findings: specFindings(ps)}
			sortFindings(rep.Findings, nil)
			return rep, nil
		}
		return nil, err
	}
	res, err := doc.Resolve(env)
	if err != nil {
		return nil, err
	}
	for name := range opts.AgainstVersions {
		if !slices.ContainsFunc(res.Releases, func(r spec.ResolvedRelease) bool { return r.Name == name }) {
			return nil, fmt.Errorf("--against-version names release %q, which kaji.yaml does not declare for this environment", name)
		}
	}
	v, err := newValidator(doc, res, opts)
	if err != nil {
		return nil, err
	}
	results := make([][]Finding, len(res.Releases))
	sem := make(chan struct{}, v.par)
	var wg sync.WaitGroup
	for i, r := range res.Releases {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			results[i] = v.release(ctx, r)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep := &Report{Project: res.Project, Environment: res.Environment}
	for _, r := range doc.File.Releases {
		rep.Releases = append(rep.Releases, r.Name)
	}
	for _, fs := range results {
		rep.Findings = append(rep.Findings, fs...)
	}
	if rep.Findings == nil {
		rep.Findings = []Finding{}
	}
	sortFindings(rep.Findings, v.fileIndex)
	return rep, nil
}

// validator holds what a run shares between releases.
type validator struct {
	opts Options
	par  int
	doc  *spec.Document
	// docName is kaji.yaml as given, which positions in it carry.
	docName string
	env     string
	// fileIndex is the index of each release in kaji.yaml's releases list.
	fileIndex map[string]int

	charts *charts
	// values merges each release's values offline: SOPS files as placeholders, references
	// left as written.
	values   *values.Set
	renderer *render.Renderer
	analyzer *unused.Analyzer
	schemas  schemas
	// loader loads the other versions of --against-version.
	loader *chart.Loader
	// sums digests each chart once, for the keys of Options.Memory.
	sums chartSums
}

func newValidator(doc *spec.Document, res *spec.Resolved, opts Options) (*validator, error) {
	par := opts.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	r, err := render.New(render.Options{Deterministic: true, KubeVersion: opts.KubeVersion})
	if err != nil {
		return nil, fmt.Errorf("%w (pass a version such as 1.31.0)", err)
	}
	a, err := unused.New(unused.Options{Renderer: r, Parallelism: par})
	if err != nil {
		return nil, err
	}
	loader := opts.Loader
	if loader == nil {
		loader = chart.NewLoader(chart.Options{Repositories: res.Repositories, CacheDir: opts.ChartCache})
	}
	source := opts.Charts
	if source == nil {
		source = loaderCharts{loader}
	}
	v := &validator{
		opts:      opts,
		par:       par,
		doc:       doc,
		docName:   doc.Pos().File,
		env:       res.Environment,
		fileIndex: map[string]int{},
		charts:    &charts{source: source},
		values:    values.NewSet(values.Options{Decrypter: sopsvalues.Offline{}}),
		renderer:  r,
		analyzer:  a,
		loader:    loader,
	}
	for i, rel := range doc.File.Releases {
		v.fileIndex[rel.Name] = i
	}
	return v, nil
}

// charts loads each distinct chart and version (or pin) once per run, so that releases of the
// same chart share one *chart.Chart and with it what the Renderer and the Analyzer learn about
// it.
type charts struct {
	source ReleaseCharts

	mu sync.Mutex
	m  map[[3]string]*loadOnce
}

type loadOnce struct {
	once  sync.Once
	chart *chartv2.Chart
	err   error
}

// load loads the chart of r: at its pin when it has one, else at the version kaji.yaml gives.
func (c *charts) load(ctx context.Context, r spec.ResolvedRelease) (*chartv2.Chart, error) {
	pin, err := c.source.Pin(ctx, r)
	if err != nil {
		return nil, err
	}
	key := [3]string{r.Chart, r.Version}
	if pin != nil {
		key = [3]string{r.Chart, pin.Version, pin.Digest}
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[[3]string]*loadOnce{}
	}
	e, ok := c.m[key]
	if !ok {
		e = &loadOnce{}
		c.m[key] = e
	}
	c.mu.Unlock()
	e.once.Do(func() {
		l, err := c.source.Load(ctx, r)
		if err != nil {
			e.err = err
			return
		}
		e.chart = l.Chart
	})
	return e.chart, e.err
}
