package cli

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/chartlock"
	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/ecr"
	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/spec"
)

// globalFlags are shared by every command.
type globalFlags struct {
	file        string
	env         string
	kubeconfig  string
	kubeContext string
	verbosity   int
	// requestTimeout is --request-timeout: how long to wait for the API server to start answering.
	requestTimeout time.Duration
	// warnings receives the API server's warnings: the run's stderr, which redacts its secrets.
	warnings io.Writer
	// inflight names the releases being changed, for an abort.
	inflight *inflight
	// secrets are the run's secret values, which its streams redact.
	secrets *secrets.Registry
	// ecrAuth gives the chart loaders of the run the credentials of ECR registries.
	ecrAuth *ecr.Auth
	// lockMode is --lock: what the run may do with kaji.lock; empty until given.
	lockMode chartlock.Mode
	// run holds the run's chart loader and kaji.lock, made on first use.
	run *runCharts
	// identities are the AWS identities of the run's EKS clusters, by target: each role is
	// assumed once per run, for the connection and the ECR tokens alike. idMu guards them.
	idMu       sync.Mutex
	identities map[spec.EKS]*eks.Identity
	// loadSpec parses kaji.yaml: spec.Load, which tests may count. doc and docErr are what
	// it returned, on the run's first read of kaji.yaml (docRead); docMu guards them.
	loadSpec func(path string) (*spec.Document, error)
	docMu    sync.Mutex
	docRead  bool
	doc      *spec.Document
	docErr   error
}

// identity is the run's AWS identity for target, made on first use.
func (g *globalFlags) identity(target spec.EKS) *eks.Identity {
	g.idMu.Lock()
	defer g.idMu.Unlock()
	if id, ok := g.identities[target]; ok {
		return id
	}
	if g.identities == nil {
		g.identities = map[spec.EKS]*eks.Identity{}
	}
	id := eks.NewIdentity(target, eks.Options{})
	g.identities[target] = id
	return id
}

// NewRootCommand builds the kaji command tree.
func NewRootCommand(streams Streams) *cobra.Command {
	return newRoot(streams, newInflight())
}

func newRoot(streams Streams, tr *inflight) *cobra.Command {
	if streams.Secrets == nil {
		streams.Secrets = secrets.NewRegistry()
	}
	g := &globalFlags{inflight: tr, secrets: streams.Secrets, warnings: streams.Err}
	return g.root(streams)
}

// root is the kaji command, whose runs share g.
func (g *globalFlags) root(streams Streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "kaji",
		Short: "Manage the Helm releases of a Kubernetes cluster as code",
		Long: `kaji (舵, "helm") manages the Helm releases of an existing Kubernetes cluster as code.

Releases are declared in kaji.yaml: chart, version, values, order (needs) and
environments such as test and prod. kaji installs, upgrades and uninstalls them
in-process with the Helm v4 SDK; the releases it makes are plain Helm releases.

On Ctrl-C or SIGTERM, apply and destroy start no new release and let running Helm
operations finish (a second one aborts them); any other command stops at once (exit 130).`,
		Example: `  # install or upgrade every release of ./kaji.yaml
  kaji apply

  # the prod environment of another file, without a question
  kaji apply -f deploy/kaji.yaml --env prod --yes

  # uninstall everything kaji.yaml declares, in reverse order
  kaji destroy`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(*cobra.Command, []string) {
			// Parts of Helm log through slog's default logger rather than the one kaji hands it.
			slog.SetDefault(slog.New(g.logHandler(streams)))
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })

	pf := root.PersistentFlags()
	pf.StringVarP(&g.file, "file", "f", "kaji.yaml", "path to kaji.yaml")
	pf.StringVar(&g.env, "env", "", "environment of kaji.yaml to use (such as test or prod)")
	pf.StringVar(&g.kubeconfig, "kubeconfig", "", "kubeconfig file (overrides cluster.kubeconfig and KUBECONFIG)")
	pf.StringVar(&g.kubeContext, "kube-context", "", "kubeconfig context (overrides cluster.kubeContext)")
	pf.DurationVar(&g.requestTimeout, "request-timeout", cluster.DefaultRequestTimeout, "how long to wait for the API server to start answering a request before giving up on it")
	pf.CountVarP(&g.verbosity, "verbose", "v", "more output: -v shows Helm's progress, -vv its debug logs")
	pf.Var(lockModeValue{&g.lockMode}, "lock", lockModeUsage)

	root.AddCommand(
		newApplyCommand(g, streams),
		newDestroyCommand(g, streams),
		newPlanCommand(g, streams),
		newStatusCommand(g, streams),
		newDoctorCommand(g, streams),
		newValidateCommand(g, streams),
		newUnlockCommand(g, streams),
		newImportCommand(g, streams),
		newChartLockCommand(g, streams),
		newExportCommand(g, streams),
		newDocsCommand(g, streams),
		newVersionCommand(streams),
	)
	g.completions(root)
	for _, c := range root.Commands() {
		if c.Args == nil { // those that take release names set their own
			c.Args = noArgs
		}
		if c.RunE != nil {
			c.RunE = g.savingChartLock(streams, c.RunE)
		}
	}
	return root
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return &UsageError{Err: fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args)}
	}
	return nil
}
