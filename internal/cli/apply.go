package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/plan/view"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/savedplan"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/validate"
)

type applyFlags struct {
	yes               bool
	output            string
	concurrency       int
	wait              bool
	timeout           time.Duration
	rollbackOnFailure bool
	prune             bool
	adopt             bool
	forceConflicts    bool
	acceptDropped     bool
	forceCRDs         bool
	deleteCRDs        bool
	lock              lockFlags
	selection         selectFlags
	// plan is the saved plan to apply (--plan), empty to plan anew.
	plan string
}

func newApplyCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &applyFlags{}
	cmd := &cobra.Command{
		Use:   "apply [RELEASE...]",
		Short: "Install or upgrade every release of kaji.yaml, in needs order",
		Long: `Install or upgrade every release declared in kaji.yaml. Releases run in parallel
(--concurrency), and none starts before every release it needs has succeeded.

First, the checks of kaji validate run: their errors stop apply before it contacts
the cluster; warnings are printed and apply goes on. Every chart is loaded and every
values file read before the first release is touched.

Then apply computes the plan, as kaji plan shows it, and prints it. On a terminal it
asks before acting, unless --yes is given. Only releases that are not in sync are
touched: an unchanged release gets no new revision, and a drifted one is applied
again, which corrects the drift. Within an upgrade, the objects that the plan found
unchanged and without drift are left alone while they stay as the plan saw them
(Helm would apply each one again); the others are applied as Helm applies them. --prune also uninstalls the project's orphans.
A declared release that kaji did not make for this project (made by helm, or
labeled as another kaji project's) is left alone and fails the run, unless
--adopt, or adopt: true on the release in kaji.yaml, says to take it over. One that
is in sync with kaji.yaml is adopted without a new revision: apply labels its latest
revision as this project's. Any other is upgraded, and its new revision carries the
label. A release with enabled: false (in kaji.yaml or for the --env) is neither
installed nor upgraded; an installed one is an orphan.

Fields that another field manager owns are conflicts. Those last written with kubectl
(kubectl scale, edit, patch, ...) are drift by hand, which apply takes back. Any other
manager (a controller such as the HPA's, an operator, a webhook, another tool) keeps
its fields: apply refuses the release and names them, unless --force-conflicts, or
forceConflicts: true on the release in kaji.yaml, says to take them. ignoreDifferences
in kaji.yaml leaves such fields to their owner for good.

When a release's chart version changes, the keys that kaji.yaml sets are checked
against both versions: a key the deployed version reads and the new one ignores
(removed, renamed or moved) would stop working without a word. apply refuses such
an upgrade and names the keys, unless --accept-dropped-keys, or acceptDroppedKeys
on the release in kaji.yaml, accepts the loss.

A release whose needs failed is skipped, and says why; the others go on. Running
apply again converges. apply holds the project lock (a Lease) while it runs, so two
runs on one project take turns. On Ctrl-C no new release starts and running Helm
operations finish; a second Ctrl-C stops at once, and leaves the lock to expire
within --lock-lease. When the lock cannot be renewed (the API server cannot be
reached), the run stops within --lock-lease, cuts its running Helm operations off
and names the releases they may leave pending.

Release names, and label selectors (-l) over the labels of kaji.yaml, limit apply to
those releases and the releases they need, which go first (--skip-needs leaves these
out). The checks of kaji validate still cover the whole file. --prune takes no
selection: orphans are found over the whole project.

Before it changes releases, apply records them in the lock. When a run stopped
without saying how its operations ended (killed, or cut off from the API server),
the next apply finds the releases it left pending, marks them failed as kaji unlock
would, and upgrades them. kaji unlock remains for releases left pending by anything
else.

--plan FILE applies the plan that kaji plan --out FILE saved, without asking: it was
reviewed when it was made (as Terraform applies a saved plan). The environment, the
selection, --prune, --adopt, --force-conflicts, --force-crds and --accept-dropped-keys
come from the file; giving others is a usage error, and so is --delete-crds, which a
saved plan does not show. Before any request, apply checks that kaji.yaml, the
values files and kaji.lock are as they were; then it plans again under the project lock
and compares. If a release's latest revision, its live objects, its action or what
apply would install (a secret that resolves differently included) changed, it names
each change, applies nothing, and says to run kaji plan --out again
(docs/saved-plans.md).`,
		Example: `  kaji apply
  kaji apply --env prod --yes
  kaji apply web                 # web and the releases it needs
  kaji apply -l team=payments --skip-needs
  kaji apply --wait --timeout 10m --rollback-on-failure
  kaji apply --plan prod.plan    # what kaji plan --out prod.plan showed, or nothing
  kaji apply -o json | jq .   # a JSON event per line, for CI`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output != "text" && f.output != "json" {
				return &UsageError{Err: fmt.Errorf("invalid --output %q: use text or json", f.output)}
			}
			var saved *savedplan.File
			var sel spec.Selection
			var err error
			if f.plan != "" {
				saved, sel, err = f.useSavedPlan(cmd, g, args)
			} else {
				sel, err = f.selection.selection(args)
			}
			if err != nil {
				return err
			}
			if err := refusePrune(f.prune, sel); err != nil {
				return err
			}
			// Validation comes before any request to the cluster; it shares the chart loader with
			// apply when kaji.yaml loads, and reports kaji.yaml's own problems when it does not.
			s, prepErr := g.prepare()
			opts := validate.Options{}
			var names []string
			if prepErr == nil {
				opts.Loader = s.loader
				if names, err = s.narrow(sel); err != nil {
					return err
				}
				if names != nil {
					opts.Charts = s.charts.Within(names) // kaji.lock covers the selection
				}
			}
			// The connection is made while validation runs: it sends nothing to the cluster
			// (for EKS, it asks AWS for the cluster and its token). Nothing goes to the cluster
			// before validation passes.
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			dialed := make(chan error, 1)
			if prepErr == nil {
				go func() { dialed <- s.dial(ctx, g, streams) }()
			}
			if err := preflight(cmd.Context(), g, streams, "apply", opts); err != nil {
				cancel()
				if prepErr == nil {
					<-dialed
				}
				return err
			}
			if prepErr != nil {
				return prepErr
			}
			if err := <-dialed; err != nil {
				return err
			}
			// Discovery, which the plan needs, goes on while the lock is taken: one round trip
			// less to a remote API server. An error is not kept: the plan reads again and says.
			go func() { _, _ = s.conn.Capabilities() }()
			if saved != nil {
				if err := s.checkCluster(cmd.Context(), saved); err != nil {
					return err
				}
			}
			p := newProgress(streams, "apply", f.output)
			rn := s.runner(g.inflight.wrap(p.observe))
			rn.Concurrency, rn.Wait, rn.Timeout, rn.RollbackOnFailure = f.concurrency, f.wait, f.timeout, f.rollbackOnFailure
			rn.ForceCRDs, rn.Releases = f.forceCRDs, s.releases.WithDeleteCRDs(f.deleteCRDs)
			return s.holdLock(cmd.Context(), streams, f.lock, "apply", func(ctx context.Context, l *lock.Lock, halt <-chan struct{}) error {
				rn.Halt = halt // for the releases, and for the prune after them
				planner, err := s.planner()
				if err != nil {
					return err
				}
				s.prepareValues(ctx, streams, names)
				tx := &apply.Transaction{Planner: planner, Runner: rn, Flights: l}
				s.review(tx, streams, f)
				if saved != nil {
					// The saved plan was reviewed when it was made: apply it without asking, if the
					// plan made now under the lock is still that plan.
					tx.Check, tx.Confirm = saved.Check, nil
				}
				res, err := tx.Run(ctx, s.resolved, plan.Options{Releases: names, Scope: s.scope, Prune: f.prune, Adopt: f.adopt,
					ForceConflicts: f.forceConflicts, ForceCRDs: f.forceCRDs, AcceptDroppedKeys: f.acceptDropped, Fingerprint: saved != nil})
				switch {
				case res != nil && res.InSync && f.output == "text":
					fmt.Fprintln(streams.Out, "Nothing to do: every release is in sync.")
				case res != nil && res.Summary != nil:
					p.summary(res.Summary)
					reportCRDs(streams, res.Summary)
					hintOutcomes(streams, res.Summary)
				}
				return err
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	fs.StringVarP(&f.output, "output", "o", "text", "progress format: text, or json (one event per line)")
	fs.IntVar(&f.concurrency, "concurrency", apply.DefaultConcurrency, "how many releases run at once")
	fs.BoolVar(&f.wait, "wait", false, "wait until every object is ready (kstatus), up to --timeout; kaji.yaml can set it per release")
	fs.DurationVar(&f.timeout, "timeout", release.DefaultTimeout, "time for each release's Helm operation and wait; kaji.yaml can set it per release")
	fs.BoolVar(&f.prune, "prune", false, "uninstall orphans: releases labeled with this project that kaji.yaml no longer declares")
	fs.BoolVar(&f.adopt, "adopt", false, "take over declared releases that helm made or another kaji project owns, without a new revision when in sync (without it they are left alone); kaji.yaml can set it per release with adopt")
	fs.BoolVar(&f.rollbackOnFailure, "rollback-on-failure", false, "roll a failed upgrade back, and uninstall a failed install (implies --wait); kaji.yaml can set it per release with rollbackOnFailure")
	fs.BoolVar(&f.forceConflicts, "force-conflicts", false, "take fields that other field managers (controllers, operators, other tools) own; kaji.yaml can set it per release with forceConflicts")
	fs.BoolVar(&f.acceptDropped, "accept-dropped-keys", false, "upgrade releases even when the new chart version ignores keys of kaji.yaml that the deployed version reads; kaji.yaml can accept keys per release with acceptDroppedKeys")
	fs.BoolVar(&f.forceCRDs, "force-crds", false, "apply the CRDs of charts' crds/ even when they remove or stop serving a stored version, or belong to another release (see docs/crds.md)")
	fs.BoolVar(&f.deleteCRDs, "delete-crds", false, "with --prune, also delete the CRDs of the uninstalled releases, and every custom resource of theirs (kept by default)")
	fs.StringVar(&f.plan, "plan", "", "apply the plan that kaji plan --out wrote to this file, without asking, or refuse if anything it was computed from changed (docs/saved-plans.md)")
	f.lock.add(fs)
	f.selection.add(fs)
	return cmd
}

// review shows the plan of tx, to stdout or, with -o json (where stdout carries only events),
// to stderr when a person is asked about it; and asks on a terminal unless --yes.
func (s *session) review(tx *apply.Transaction, streams Streams, f *applyFlags) {
	ask := !f.yes && streams.Interactive
	var planOut io.Writer
	switch {
	case f.output == "text":
		planOut = streams.Out
	case ask:
		planOut = streams.Err
	}
	if planOut != nil {
		tx.Show = func(pl *plan.Plan) error {
			printHeader(planOut, "apply", s)
			return view.Text(planOut, pl, view.TextOptions{Color: streams.color()})
		}
	}
	if ask {
		tx.Confirm = func(ctx context.Context, _ *plan.Plan) (bool, error) {
			ok, err := streams.confirm(ctx, planOut, "Apply this plan?")
			if err == nil && !ok {
				fmt.Fprintln(planOut, "Nothing was changed.")
			}
			return ok, err
		}
	}
}
