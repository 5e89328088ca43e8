package projectdoc

import (
	"context"
	"fmt"
	"path/filepath"

	"helm.sh/helm/v4/pkg/chart/common/util"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// Charts loads the chart of a release, at the version the run pins it to: kaji passes the
// run's kaji.lock, so that the page names the charts that plan and apply load.
type Charts interface {
	Load(ctx context.Context, r spec.ResolvedRelease) (*chart.Loaded, error)
}

// Locator says, without any request, where a repository or registry chart lives.
type Locator interface {
	Locate(ref string) (chart.Location, error)
}

// Input is one environment as a run prepared it.
type Input struct {
	// Resolved is kaji.yaml with the environment applied.
	Resolved *spec.Resolved
	Charts   Charts
	Locator  Locator
	// Values gives the releases' merged values offline: encrypted files read as
	// placeholders, references left as written. Build reads what it shows of a secret from
	// the layers themselves, never from Values.
	Values values.Source
}

// Options configure Build.
type Options struct {
	// KubeVersion is the Kubernetes version to render for, like helm template
	// --kube-version; empty means Helm's default.
	KubeVersion string
}

// Build describes each environment of inputs, in their order. It reads local files and the
// chart cache only (a remote chart that is not cached yet is downloaded once): no cluster,
// no secret store, no key. A release whose chart does not load or render is an error that
// names it; kaji validate says more.
func Build(ctx context.Context, inputs []Input, opts Options) (*Page, error) {
	p := &Page{}
	for _, in := range inputs {
		p.Project = in.Resolved.Project
		env, err := buildEnvironment(ctx, in, opts)
		if err != nil {
			return nil, err
		}
		p.Environments = append(p.Environments, env)
	}
	return p, nil
}

func buildEnvironment(ctx context.Context, in Input, opts Options) (Environment, error) {
	res := in.Resolved
	env := Environment{Name: res.Environment, Cluster: clusterOf(res)}
	for _, d := range res.Disabled {
		env.Disabled = append(env.Disabled, d.Name)
	}
	for _, r := range res.Releases {
		rel, err := buildRelease(ctx, in, r, opts)
		if err != nil {
			where := "release " + r.Name
			if res.Environment != "" {
				where = "environment " + res.Environment + ", " + where
			}
			return Environment{}, fmt.Errorf("%s (%s): %w; kaji validate%s shows every problem", where, r.Pos, err, envFlag(res.Environment))
		}
		env.Releases = append(env.Releases, rel)
	}
	return env, nil
}

// envFlag is " --env NAME", or nothing for the project without an environment.
func envFlag(env string) string {
	if env == "" {
		return ""
	}
	return " --env " + env
}

func buildRelease(ctx context.Context, in Input, r spec.ResolvedRelease, opts Options) (Release, error) {
	res := in.Resolved
	loaded, err := in.Charts.Load(ctx, r)
	if err != nil {
		return Release{}, err
	}
	src, err := sourceOf(res, in.Locator, r)
	if err != nil {
		return Release{}, err
	}
	merged, err := in.Values.Values(ctx, r)
	if err != nil {
		return Release{}, err
	}
	renderer, err := render.New(render.Options{
		Deterministic: true, KubeVersion: opts.KubeVersion, ReleaseName: r.Name, Namespace: r.Namespace,
	})
	if err != nil {
		return Release{}, fmt.Errorf("%w (pass a version such as 1.31.0)", err)
	}
	ch := loaded.Chart
	prep, err := renderer.Prepare(ch, merged)
	if err != nil {
		return Release{}, err
	}
	// The defaults of the chart as the values configure it: subcharts enabled by them,
	// aliases and import-values applied.
	defaults, err := util.CoalesceValues(prep.Chart, map[string]any{})
	if err != nil {
		return Release{}, fmt.Errorf("defaults of chart %s: %w", ch.Name(), err)
	}
	layers, err := readLayers(res, r)
	if err != nil {
		return Release{}, err
	}
	vals, err := differing(merged, defaults, layers)
	if err != nil {
		return Release{}, err
	}
	files, err := renderer.Render(ctx, ch, merged)
	if err != nil {
		return Release{}, err
	}
	images, err := Images(files)
	if err != nil {
		return Release{}, err
	}
	rel := Release{
		Name: r.Name, Namespace: r.Namespace,
		Version: loaded.Version, Source: src,
		Needs: r.Needs, Values: vals, Images: images,
	}
	if md := ch.Metadata; md != nil {
		rel.Chart, rel.AppVersion = md.Name, md.AppVersion
		if rel.Version == "" {
			rel.Version = md.Version
		}
	}
	return rel, nil
}

// sourceOf says where the chart of r comes from.
func sourceOf(res *spec.Resolved, loc Locator, r spec.ResolvedRelease) (Source, error) {
	if r.ChartKind == spec.ChartLocal {
		return Source{Kind: SourceLocal, Location: relative(res, r.Chart)}, nil
	}
	l, err := loc.Locate(r.Chart)
	if err != nil {
		return Source{}, err
	}
	if l.Source == chart.SourceOCI {
		return Source{Kind: SourceOCI, Location: l.Repository + "/" + l.Name}, nil
	}
	return Source{Kind: SourceRepository, Location: l.Repository}, nil
}

// clusterOf says which cluster res deploys to, as kaji.yaml says it. A kubeconfig is named
// only inside the project's directory: elsewhere (~/.kube/config) its path differs from one
// machine to the next.
func clusterOf(res *spec.Resolved) string {
	c := res.Cluster
	if c.EKS != nil {
		return fmt.Sprintf("EKS cluster %s in %s", c.EKS.Name, c.EKS.Region)
	}
	file := ""
	if c.Kubeconfig != "" {
		if rel := relative(res, c.Kubeconfig); filepath.IsLocal(rel) {
			file = rel
		}
	}
	switch {
	case file != "" && c.KubeContext != "":
		return fmt.Sprintf("kubeconfig %s, context %s", file, c.KubeContext)
	case file != "":
		return "kubeconfig " + file
	case c.KubeContext != "":
		return "kubeconfig context " + c.KubeContext
	}
	return ""
}
