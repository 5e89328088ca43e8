package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/chartlock"
	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/ecr"
	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/secrets/sopsvalues"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// session is what a command that changes the cluster works with.
type session struct {
	resolved *spec.Resolved
	// path is the absolute path of kaji.yaml.
	path string
	// scope is how the command line picked the releases of resolved (see narrow).
	scope  plan.Scope
	conn   *cluster.Conn
	loader *chart.Loader
	// charts loads each release's chart at the version kaji.lock pins.
	charts   *chartlock.Locker
	releases *release.Manager
	// inflight learns when the session holds the project lock, for an abort to say so.
	inflight *inflight
	// secrets are the run's secret values, which every stream of the run redacts.
	secrets *secrets.Registry
	// values are the releases' values, read, decrypted and resolved once for the run.
	values *values.Set
	// aws is the AWS configuration kaji acts with on an EKS cluster (the assumed role's);
	// nil for a cluster from a kubeconfig, where references use the ambient credentials.
	aws *aws.Config
	// eks is the EKS cluster the session will dial, if it dials one: ECR tokens asked for
	// before (apply validates its charts first) are asked as the same identity.
	eks *spec.EKS
	// identity is the run's AWS identity on eks, shared with the connection; nil without eks.
	identity *eks.Identity
	// warnings are said once the values are prepared; mu guards them.
	mu       sync.Mutex
	warnings []string
}

// addSecret registers a value that the session resolved or decrypted, so that wherever the
// run prints, label (secrets.LabelRef or secrets.LabelFile) stands in its place. A value too
// short to hide is not registered: the error says so, for the caller to refuse it.
func (s *session) addSecret(value, label string) error {
	return s.secrets.Add(value, label)
}

// newValues makes the session's values: SOPS files decrypted in memory, references resolved
// with the session's AWS configuration, every such value registered as a secret.
func (s *session) newValues() *values.Set {
	shortIn := map[string]int{}
	return values.NewSet(values.Options{
		Decrypter: sopsvalues.Decrypter{},
		Resolver:  secrets.NewLazy(s.awsConfig, s.secrets),
		OnSecret: func(value, file string) error {
			name := s.resolved.DisplayPath(file)
			var short *secrets.TooShortError
			if err := s.addSecret(value, secrets.LabelFile(name)); errors.As(err, &short) {
				// SOPS encrypts every value of a file by default, short settings included:
				// they are not refused, but the user is told that they show.
				s.mu.Lock()
				shortIn[name]++
				if shortIn[name] == 1 {
					s.warnings = append(s.warnings, fmt.Sprintf("%s: values shorter than %d bytes are not hidden in output; keep secrets longer, or leave settings unencrypted (unencrypted_suffix or encrypted_regex)", name, secrets.MinLength))
				}
				s.mu.Unlock()
			}
			return nil
		},
		OnPrevious: func(value string, from values.Origin) {
			label := "(previous secret: " + from.Ref + ")"
			if from.File != "" {
				label = "(previous secret from " + s.resolved.DisplayPath(from.File) + ")"
			}
			_ = s.addSecret(value, label) // a value too short to hide shows, as it did before
		},
	})
}

// prepareValues reads, decrypts and resolves the values of the releases named (all of them
// when none is), in one batch, and says the warnings it has. Errors are left with each
// release, for the plan to report where they belong.
func (s *session) prepareValues(ctx context.Context, streams Streams, names []string) {
	rels := s.resolved.Releases
	if len(names) > 0 {
		rels = nil
		for _, r := range s.resolved.Releases {
			if slices.Contains(names, r.Name) {
				rels = append(rels, r)
			}
		}
	}
	_ = s.values.Prepare(ctx, rels)
	s.mu.Lock()
	warnings := s.warnings
	s.warnings = nil
	s.mu.Unlock()
	for _, w := range warnings {
		fmt.Fprintln(streams.Err, "warning: "+w)
	}
}

// awsConfig is what references are resolved with: the EKS connection's configuration, or
// the ambient AWS configuration for a cluster from a kubeconfig.
func (s *session) awsConfig(ctx context.Context) (aws.Config, error) {
	if s.aws != nil {
		return *s.aws, nil
	}
	return eks.LoadAWSConfig(ctx, "")
}

// registryAWSConfig is what ECR tokens are asked with: the EKS connection's configuration,
// before the session dials its EKS cluster too (the same identity, whose role the run
// assumes once); the ambient AWS configuration for a cluster from a kubeconfig.
func (s *session) registryAWSConfig(ctx context.Context) (aws.Config, error) {
	if s.aws != nil || s.eks == nil {
		return s.awsConfig(ctx)
	}
	return s.identity.Config(ctx)
}

// load reads kaji.yaml and applies the selected environment.
func (g *globalFlags) load() (*spec.Resolved, error) {
	_, res, err := g.loadDocument()
	return res, err
}

// loadDocument reads kaji.yaml, once per run, and applies the selected environment: each
// call resolves anew, so that no two callers share a Resolved.
func (g *globalFlags) loadDocument() (*spec.Document, *spec.Resolved, error) {
	doc, err := g.document()
	if err != nil {
		return nil, nil, err
	}
	res, err := doc.Resolve(g.env)
	return doc, res, err
}

// document is kaji.yaml as the run read it first: validation, the chart loader and the plan
// of one run all work from one parse of it.
func (g *globalFlags) document() (*spec.Document, error) {
	g.docMu.Lock()
	defer g.docMu.Unlock()
	if !g.docRead {
		load := g.loadSpec
		if load == nil {
			load = spec.Load
		}
		g.doc, g.docErr = load(g.file)
		g.docRead = true
	}
	return g.doc, g.docErr
}

// prepare loads kaji.yaml and kaji.lock and makes the chart loader. It makes no request to
// anything.
func (g *globalFlags) prepare() (*session, error) {
	doc, res, err := g.loadDocument()
	if err != nil {
		return nil, err
	}
	s := &session{resolved: res, path: doc.Path, inflight: g.inflight, secrets: g.secrets}
	if res.Cluster.EKS != nil && g.kubeconfig == "" && g.kubeContext == "" {
		s.eks = res.Cluster.EKS
		s.identity = g.identity(*s.eks)
	}
	// Charts on Amazon ECR load with a token asked with kaji's AWS credentials, kept in
	// memory for the run and shared by its loaders (validation's and the plan's).
	if g.ecrAuth == nil {
		g.ecrAuth = ecr.NewAuth(s.registryAWSConfig, ecr.Options{})
	}
	rc, err := g.charts(doc)
	if err != nil {
		return nil, err
	}
	s.loader, s.charts = rc.loader, rc.lock
	s.values = s.newValues()
	return s, nil
}

// dial prepares the clients of the session's cluster. Only EKS makes requests here (to AWS).
func (s *session) dial(ctx context.Context, g *globalFlags, streams Streams) error {
	conn, cfg, err := g.connectAWS(ctx, s.resolved.Cluster)
	if err != nil {
		return err
	}
	s.conn, s.aws = conn, cfg
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

// planner returns a planner of the session's cluster over its charts and values.
func (s *session) planner() (*plan.Planner, error) {
	p, err := plan.ForCluster(s.conn, chartSource{s.charts})
	if err != nil {
		return nil, err
	}
	p.Values = s.values
	p.Sensitive = s.secrets.Contains
	return p, nil
}

// runner returns an apply runner over the session's charts and releases.
func (s *session) runner(observe apply.Observer) *apply.Runner {
	return &apply.Runner{Charts: chartSource{s.charts}, Values: s.values, Releases: s.releases, Observe: observe}
}

// connect prepares the clients of the cluster: through EKS when kaji.yaml says cluster.eks and
// no kubeconfig flag overrides it, else through the kubeconfig.
func (g *globalFlags) connect(ctx context.Context, c spec.Cluster) (*cluster.Conn, error) {
	conn, _, err := g.connectAWS(ctx, c)
	return conn, err
}

// connectAWS is connect that also returns the AWS configuration of an EKS connection (nil
// for a kubeconfig).
func (g *globalFlags) connectAWS(ctx context.Context, c spec.Cluster) (*cluster.Conn, *aws.Config, error) {
	if c.EKS != nil && g.kubeconfig == "" && g.kubeContext == "" {
		e, err := eks.Connect(ctx, *c.EKS, eks.Options{Identity: g.identity(*c.EKS)})
		if err != nil {
			return nil, nil, err
		}
		conn, err := cluster.Dial(e.Kubeconfig, e.Context, e.REST, g.network())
		return conn, &e.AWS, err
	}
	opts := cluster.Options{Kubeconfig: c.Kubeconfig, Context: c.KubeContext, Network: g.network()}
	if g.kubeconfig != "" {
		opts.Kubeconfig = g.kubeconfig
	}
	if g.kubeContext != "" {
		opts.Context = g.kubeContext
	}
	conn, err := cluster.Connect(opts)
	return conn, nil, err
}

// network is how the run's requests behave on a failing network: --request-timeout, and the
// API server's warnings printed on the run's stderr, which redacts its secrets.
func (g *globalFlags) network() cluster.Network {
	return cluster.Network{RequestTimeout: g.requestTimeout, Warnings: g.warnings}
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

// chartSource adapts the run's charts, pinned by kaji.lock, to what the planner and the apply
// runner need.
type chartSource struct{ charts *chartlock.Locker }

func (c chartSource) Chart(ctx context.Context, r spec.ResolvedRelease) (*chartv2.Chart, error) {
	l, err := c.charts.Load(ctx, r)
	if err != nil {
		return nil, err
	}
	return l.Chart, nil
}
