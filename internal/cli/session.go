package cli

import (
	"context"
	"log/slog"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// session is what a command that talks to the cluster works with.
type session struct {
	resolved *spec.Resolved
	conn     *cluster.Conn
	runner   *apply.Runner
}

// load reads kaji.yaml and applies the selected environment.
func (g *globalFlags) load() (*spec.Resolved, error) {
	doc, err := spec.Load(g.file)
	if err != nil {
		return nil, err
	}
	return doc.Resolve(g.env)
}

// open loads kaji.yaml and prepares, without any request yet, the clients for its cluster.
func (g *globalFlags) open(ctx context.Context, streams Streams, observe apply.Observer) (*session, error) {
	res, err := g.load()
	if err != nil {
		return nil, err
	}
	conn, err := g.connect(ctx, res.Cluster)
	if err != nil {
		return nil, err
	}
	loader := chart.NewLoader(chart.Options{Repositories: res.Repositories})
	mgr := release.NewManager(conn, release.Options{Project: res.Project, Logger: g.logHandler(streams)})
	return &session{
		resolved: res,
		conn:     conn,
		runner:   &apply.Runner{Charts: chartSource{loader}, Releases: mgr, Observe: observe},
	}, nil
}

// connect prepares the clients of the cluster: through EKS when kaji.yaml says cluster.eks and
// no kubeconfig flag overrides it, else through the kubeconfig.
func (g *globalFlags) connect(ctx context.Context, c spec.Cluster) (*cluster.Conn, error) {
	if c.EKS != nil && g.kubeconfig == "" && g.kubeContext == "" {
		e, err := eks.Connect(ctx, *c.EKS, eks.Options{})
		if err != nil {
			return nil, err
		}
		return cluster.FromConfig(e.Kubeconfig, e.Context, e.REST)
	}
	opts := cluster.Options{Kubeconfig: c.Kubeconfig, Context: c.KubeContext}
	if g.kubeconfig != "" {
		opts.Kubeconfig = g.kubeconfig
	}
	if g.kubeContext != "" {
		opts.Context = g.kubeContext
	}
	return cluster.Connect(opts)
}

// logHandler passes Helm's own logs to stderr: warnings by default, more with -v.
func (g *globalFlags) logHandler(streams Streams) slog.Handler {
	level := slog.LevelWarn
	switch {
	case g.verbosity >= 2:
		level = slog.LevelDebug
	case g.verbosity == 1:
		level = slog.LevelInfo
	}
	return slog.NewTextHandler(streams.Err, &slog.HandlerOptions{Level: level})
}

// chartSource adapts the chart loader to what the apply runner needs.
type chartSource struct{ loader *chart.Loader }

func (c chartSource) Chart(ctx context.Context, r spec.ResolvedRelease) (*chartv2.Chart, error) {
	l, err := c.loader.Load(ctx, r.Chart, r.Version)
	if err != nil {
		return nil, err
	}
	return l.Chart, nil
}
