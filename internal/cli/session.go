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
	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/spec"
)

// session is what a command that changes the cluster works with.
type session struct {
	resolved *spec.Resolved
	conn     *cluster.Conn
	loader   *chart.Loader
	releases *release.Manager
	// inflight learns when the session holds the project lock, for an abort to say so.
	inflight *inflight
	// secrets are the run's secret values, which every stream of the run redacts.
	secrets *secrets.Registry
}

// addSecret registers a value that the session resolved or decrypted, so that wherever the
// run prints, label (secrets.LabelRef or secrets.LabelFile) stands in its place. A value too
// short to hide is not registered: the error says so, for the caller to refuse it.
func (s *session) addSecret(value, label string) error {
	return s.secrets.Add(value, label)
}

// load reads kaji.yaml and applies the selected environment.
func (g *globalFlags) load() (*spec.Resolved, error) {
	doc, err := spec.Load(g.file)
	if err != nil {
		return nil, err
	}
	return doc.Resolve(g.env)
}

// prepare loads kaji.yaml and makes the chart loader. It makes no request to anything.
func (g *globalFlags) prepare() (*session, error) {
	res, err := g.load()
	if err != nil {
		return nil, err
	}
	return &session{resolved: res, loader: chart.NewLoader(chart.Options{Repositories: res.Repositories}), inflight: g.inflight, secrets: g.secrets}, nil
}

// dial prepares the clients of the session's cluster. Only EKS makes requests here (to AWS).
func (s *session) dial(ctx context.Context, g *globalFlags, streams Streams) error {
	conn, err := g.connect(ctx, s.resolved.Cluster)
	if err != nil {
		return err
	}
	s.conn = conn
	s.releases = release.NewManager(conn, release.Options{Project: s.resolved.Project, Logger: g.logHandler(streams)})
	return nil
}

// open prepares the session and dials its cluster.
func (g *globalFlags) open(ctx context.Context, streams Streams) (*session, error) {
	s, err := g.prepare()
	if err != nil {
		return nil, err
	}
	return s, s.dial(ctx, g, streams)
}

// runner returns an apply runner over the session's charts and releases.
func (s *session) runner(observe apply.Observer) *apply.Runner {
	return &apply.Runner{Charts: chartSource{s.loader}, Releases: s.releases, Observe: observe}
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

// logHandler passes Helm's own logs to stderr: warnings by default, more with -v. The
// streams of a run redact its secrets, Helm's logs included.
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
