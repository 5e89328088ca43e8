package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"

	"kaji.dev/kaji/internal/chartlock"
	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/plan/view"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/validate"
)

type planFlags struct {
	forceCRDs        bool
	output           string
	detailedExitCode bool
	showSecrets      bool
	releases         []string
	lockNamespace    string
	selection        selectFlags
	prune            bool
	adopt            bool
	forceConflicts   bool
	acceptDropped    bool
	out              string
}

func newPlanCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &planFlags{}
	cmd := &cobra.Command{
		Use:   "plan [RELEASE...]",
		Short: "Show what apply would change, without changing anything",
		Long: `Show what apply would do to every release of kaji.yaml, and why: install,
upgrade, in-sync, drifted (live objects changed by hand), pending (locked by an
unfinished Helm operation), failed, unmanaged (made by helm, or owned by another
kaji project: apply leaves it alone unless --adopt or adopt: true in kaji.yaml;
one in sync is adopted without a new revision, action adopt) or orphan (labeled as
this project's, but no longer in kaji.yaml, or left out with enabled: false).
The checks of kaji validate run first, while the plan's first reads of the cluster
go on; when they find errors, plan shows them and stops.

A release that kaji applied is not rendered again while its chart, values, the
cluster's version, the APIs its templates can read, and kaji's Helm are the ones it
was applied from (apply labels each revision it writes with a digest of them,
kaji.dev/inputs): the plan
compares the live objects with the stored manifest, which finds drift as before. So a
chart whose templates use random or clock functions is in sync until one of those
inputs changes, rather than upgraded on every apply. A chart that calls lookup is
rendered again when an object that its last render looked up has changed (apply
records those lookups on the revision, annotation kaji.dev/lookups; for a release that
it finds in sync after rendering it, when it applies something else). A revision that
someone else wrote is always rendered.

For each object that would change, plan shows what the API server would make of it:
every changed object is sent as a server-side apply dry run, so that defaults,
admission and immutable-field errors show up now rather than during apply. Fields
that other field managers own are shown as conflicts, with the manager's name:
kubectl's are drift that apply repairs; for any other, apply refuses the release
(action refused) unless --force-conflicts or forceConflicts: true says to take them.
When a release's chart version changes, a key of kaji.yaml that the deployed version
reads and the new one ignores is an error, with the key the new chart most likely
reads instead; apply refuses the release (action refused) unless
--accept-dropped-keys or acceptDroppedKeys on the release accepts the loss.
The values of Secrets are hidden unless --show-secrets is given. References to
secrets in values (ref+awsssm://, ref+awssecrets://) and SOPS-encrypted values files
are read in memory; wherever they would be printed, plan shows (secret: REF) or
(secret from FILE) instead, --show-secrets or not (docs/secrets.md).

Release names, and label selectors (-l) over the labels of kaji.yaml, limit the plan
to those releases and the releases they need (--skip-needs leaves these out). Orphans
are looked for only in a plan of the whole project: --prune takes no selection.

With --detailed-exitcode the exit code is 0 when there is nothing to do, 2 when apply
would change something (an adoption without a new revision counts), and 1 on errors.

-o markdown writes the plan for a pull request comment: a table of the releases, then
a collapsible section with the diff of each release that is not in sync. It always
hides the values of Secrets (--show-secrets is refused with it), and it keeps within
GitHub's limit of 65,536 characters by cutting the largest diffs first, saying which
at the end. Its first line is an HTML comment that names the project and environment,
for a CI job to find its earlier comment and update it (examples/ci/github-actions.yaml,
docs/pull-requests.md).

--out FILE also writes the plan to FILE (readable by its owner alone), with what it was
computed from: the digests of kaji.yaml, of the values files read and of kaji.lock, each
release's latest revision, and digests of what apply would install and of the live
objects compared. It holds no secret value, only references and digests. The output
(-o text, json or markdown) is printed as usual. kaji apply --plan FILE applies exactly
that plan, or refuses if any of it changed (docs/saved-plans.md). A plan with errors is
not written.`,
		Example: `  kaji plan
  kaji plan --env prod api web
  kaji plan -l team=payments --skip-needs
  kaji plan -o json > plan.json
  kaji plan --env prod -o markdown > plan.md
  kaji plan --env prod --out prod.plan && kaji apply --plan prod.plan
  kaji plan --detailed-exitcode; case $? in 0) echo in sync;; 2) echo changes;; *) echo error;; esac`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output != "text" && f.output != "json" && f.output != "markdown" {
				return &UsageError{Err: fmt.Errorf("unknown output format %q: use text, json or markdown", f.output)}
			}
			if f.output == "markdown" && f.showSecrets {
				return &UsageError{Err: errors.New("--show-secrets cannot go with -o markdown, which is meant to be posted where others read it: drop --show-secrets, or use -o text")}
			}
			sel, err := f.selection.selection(append(args, f.releases...))
			if err != nil {
				return err
			}
			if err := refusePrune(f.prune, sel); err != nil {
				return err
			}
			if f.out != "" && g.chartLockMode() == chartlock.ModeUpdate {
				return &UsageError{Err: errors.New("--out cannot go with --lock=update, which writes kaji.lock after the plan: run kaji lock first, then kaji plan --out")}
			}
			vopts, err := g.selectionCharts(validate.Options{}, sel)
			if err != nil {
				return err
			}
			// Validation needs no request: it runs while the plan connects and makes its first
			// reads, which it stops when it finds errors.
			checks := func(ctx context.Context) error { return preflight(ctx, g, streams, "plan", vopts) }
			opts := plan.Options{Prune: f.prune, Adopt: f.adopt, ForceConflicts: f.forceConflicts, ForceCRDs: f.forceCRDs,
				AcceptDroppedKeys: f.acceptDropped, Fingerprint: f.out != ""}
			run, err := g.plan(cmd.Context(), streams, f.lockNamespace, sel, opts, checks)
			if err != nil {
				return err
			}
			p := run.plan
			switch f.output {
			case "json":
				err = view.JSON(streams.Out, p, view.JSONOptions{ShowSecrets: f.showSecrets})
			case "markdown":
				err = view.Markdown(streams.Out, p, view.MarkdownOptions{Context: run.conn.Context(), Redact: streams.Secrets.Redact})
			default:
				run.header(streams.Out, "plan")
				err = view.Text(streams.Out, p, view.TextOptions{Color: streams.color(), ShowSecrets: f.showSecrets})
			}
			if err != nil {
				return err
			}
			if err := p.Err(); err != nil {
				if f.out != "" {
					fmt.Fprintf(streams.Err, "No plan was written to %s: apply would fail on the errors below.\n", f.out)
				}
				return err
			}
			if f.out != "" {
				if err := run.save(cmd.Context(), f.out, sel, opts); err != nil {
					return err
				}
				fmt.Fprintf(streams.Err, "Saved the plan to %s: kaji apply --plan %s applies exactly this plan, or refuses if anything it was computed from changed.\n", f.out, f.out)
			}
			if f.detailedExitCode && p.HasChanges() {
				return &silentError{code: ExitChanges}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&f.output, "output", "o", "text", "output format: text, json or markdown (for a pull request comment)")
	cmd.Flags().BoolVar(&f.detailedExitCode, "detailed-exitcode", false, "exit 2 when apply would change something, 0 when not")
	cmd.Flags().BoolVar(&f.showSecrets, "show-secrets", false, "show the values of Secrets instead of their sizes")
	cmd.Flags().StringArrayVar(&f.releases, "release", nil, "plan this release, as naming it as an argument does (repeatable)")
	f.selection.add(cmd.Flags())
	cmd.Flags().BoolVar(&f.prune, "prune", false, "plan to uninstall orphans, as kaji apply --prune would")
	cmd.Flags().BoolVar(&f.adopt, "adopt", false, "plan to take over releases that helm made or another kaji project owns, as kaji apply --adopt would")
	cmd.Flags().BoolVar(&f.forceConflicts, "force-conflicts", false, "plan to take fields that other field managers own, as kaji apply --force-conflicts would")
	cmd.Flags().BoolVar(&f.acceptDropped, "accept-dropped-keys", false, "plan to upgrade releases whose new chart version ignores settings of kaji.yaml that the deployed version reads, as kaji apply --accept-dropped-keys would")
	cmd.Flags().BoolVar(&f.forceCRDs, "force-crds", false, "plan to apply the CRDs of charts' crds/ that the safety rules refuse, as kaji apply --force-crds would")
	cmd.Flags().StringVar(&f.out, "out", "", "also write the plan to this file, with what it was computed from, for kaji apply --plan (docs/saved-plans.md)")
	cmd.Flags().StringVar(&f.lockNamespace, "lock-namespace", lock.DefaultNamespace, "namespace of the project lock (a Lease), whose holder plan shows")
	return cmd
}

// planRun is a plan and what it was made from.
type planRun struct {
	session  *session
	resolved *spec.Resolved
	conn     *cluster.Conn
	plan     *plan.Plan
}

// plan loads kaji.yaml, connects to its cluster and plans the releases that sel picks,
// reading the project lock in lockNamespace. checks, when set, runs the checks that need no
// request (validation) while the connection is made and the plan's first reads go; when
// they fail, plan returns their error and stops those reads.
func (g *globalFlags) plan(ctx context.Context, streams Streams, lockNamespace string, sel spec.Selection, opts plan.Options, checks func(context.Context) error) (*planRun, error) {
	s, err := g.prepare()
	if err == nil {
		opts.Releases, err = s.narrow(sel)
	}
	if err != nil {
		if checks != nil {
			// Validation reports the mistakes of kaji.yaml, where they are, better than this.
			if cerr := checks(ctx); cerr != nil {
				return nil, cerr
			}
		}
		return nil, err
	}
	opts.Scope = s.scope
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var planner *plan.Planner
	dialed := make(chan error, 1)
	go func() {
		var err error
		planner, err = s.planFor(ctx, g, lockNamespace)
		if err == nil {
			planner.Prefetch(ctx, s.resolved, opts)
		}
		dialed <- err
	}()
	if checks != nil {
		if err := checks(ctx); err != nil {
			cancel()
			<-dialed
			return nil, err
		}
	}
	if err := <-dialed; err != nil {
		return nil, err
	}
	s.prepareValues(ctx, streams, opts.Releases)
	p, err := planner.Plan(ctx, s.resolved, opts)
	var unknown *plan.UnknownReleaseError
	if errors.As(err, &unknown) {
		return nil, &UsageError{Err: err}
	}
	if err != nil {
		return nil, err
	}
	return &planRun{session: s, resolved: s.resolved, conn: s.conn, plan: p}, nil
}

// planFor connects to the session's cluster and returns a planner of it that reads the
// project lock in lockNamespace.
func (s *session) planFor(ctx context.Context, g *globalFlags, lockNamespace string) (*plan.Planner, error) {
	conn, cfg, err := g.connectAWS(ctx, s.resolved.Cluster)
	if err != nil {
		return nil, err
	}
	s.conn, s.aws = conn, cfg
	planner, err := s.planner()
	if err != nil {
		return nil, err
	}
	cs, err := conn.Clientset()
	if err != nil {
		return nil, err
	}
	planner.Locks = leaseLocks{leases: cs.CoordinationV1(), namespace: lockNamespace}
	return planner, nil
}

// header says what was planned, against which cluster.
func (r *planRun) header(w io.Writer, op string) {
	env := ""
	if r.resolved.Environment != "" {
		env = ", environment " + r.resolved.Environment
	}
	scope := ""
	if sc := r.plan.Scope.String(); sc != "" {
		scope = ", " + sc
	}
	fmt.Fprintf(w, "kaji %s: project %s%s, context %s%s\n\n", op, r.resolved.Project, env, r.conn.Context(), scope)
}

// leaseLocks reads project locks from their Leases.
type leaseLocks struct {
	leases    coordclient.LeasesGetter
	namespace string
}

func (l leaseLocks) Holder(ctx context.Context, project string) (*lock.Holder, error) {
	return lock.Inspect(ctx, l.leases, lock.Options{Namespace: l.namespace, Project: project})
}
