package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/release"
)

type destroyFlags struct {
	yes         bool
	output      string
	concurrency int
	timeout     time.Duration
	deleteCRDs  bool
	lock        lockFlags
	selection   selectFlags
}

func newDestroyCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &destroyFlags{selection: selectFlags{dependents: true}}
	cmd := &cobra.Command{
		Use:   "destroy [RELEASE...]",
		Short: "Uninstall every release of kaji.yaml, in reverse needs order",
		Long: `Uninstall every release declared in kaji.yaml, each after every release that
needs it, so that nothing is removed while something that needs it remains. A
release stays when something that needs it could not be uninstalled.

On a terminal destroy asks first; elsewhere (CI) it refuses unless --yes is given.
Releases that do not exist are reported as absent. The releases' CRDs (of their
charts' crds/ and templates/) are kept, and with them every custom resource of
theirs, unless --delete-crds; destroy names those it kept. destroy holds the project lock
while it runs. When the lock cannot be renewed (the API server cannot be reached),
destroy stops within --lock-lease: no uninstall starts, running ones are given up,
and the error names the releases they may leave pending.

Release names, and label selectors (-l) over the labels of kaji.yaml, limit destroy to
those releases and the releases that need them, which are uninstalled first
(--skip-needs leaves these alone).`,
		Example: `  kaji destroy
  kaji destroy --env test --yes
  kaji destroy cache --yes       # what needs cache first, then cache`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.output != "text" && f.output != "json" {
				return &UsageError{Err: fmt.Errorf("invalid --output %q: use text or json", f.output)}
			}
			sel, err := f.selection.selection(args)
			if err != nil {
				return err
			}
			s, err := g.open(cmd.Context(), streams)
			if err != nil {
				return err
			}
			names, err := s.narrow(sel)
			if err != nil {
				return err
			}
			if !f.yes {
				if !streams.Interactive {
					return &UsageError{Err: errors.New("destroy needs confirmation and no terminal is attached: pass --yes")}
				}
				what := fmt.Sprintf("%d release(s)", len(s.resolved.Releases))
				if names != nil {
					what = strings.Join(releaseNames(s.resolved.Reverse()), ", ")
				}
				ok, err := streams.confirm(cmd.Context(), streams.Out, fmt.Sprintf("Uninstall %s of project %q from context %q?",
					what, s.resolved.Project, s.conn.Context()))
				if err != nil {
					return err
				}
				if !ok {
					fmt.Fprintln(streams.Out, "Nothing was changed.")
					return nil
				}
			}
			p := newProgress(streams, "destroy", f.output)
			rn := s.runner(g.inflight.wrap(p.observe))
			rn.Concurrency, rn.Timeout = f.concurrency, f.timeout
			rn.Releases = s.releases.WithDeleteCRDs(f.deleteCRDs)
			return s.holdLock(cmd.Context(), streams, f.lock, "destroy", func(ctx context.Context, _ *lock.Lock, halt <-chan struct{}) error {
				// A lost lock stops the run as it stops apply: nothing new starts, and the
				// running uninstalls are cut off.
				rn.Halt = halt
				if f.output == "text" {
					printHeader(streams.Out, "destroy", s)
				}
				sum, err := rn.Destroy(ctx, s.resolved)
				if sum != nil {
					p.summary(sum)
					reportCRDs(streams, sum)
					hintOutcomes(streams, sum)
				}
				return err
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	fs.StringVarP(&f.output, "output", "o", "text", "progress format: text, or json (one event per line)")
	fs.IntVar(&f.concurrency, "concurrency", apply.DefaultConcurrency, "how many releases are uninstalled at once")
	fs.DurationVar(&f.timeout, "timeout", release.DefaultTimeout, "time for each release's uninstall")
	fs.BoolVar(&f.deleteCRDs, "delete-crds", false, "also delete the releases' CRDs, and so every custom resource of theirs (kept by default)")
	f.lock.add(fs)
	f.selection.add(fs)
	return cmd
}

// reportCRDs says which CRDs the uninstalls of sum kept, and which they deleted.
func reportCRDs(streams Streams, sum *apply.Summary) {
	for _, o := range sum.Outcomes {
		if len(o.Result.KeptCRDs) > 0 {
			fmt.Fprintf(streams.Err, "%s/%s: kept CRDs %s, and every custom resource of theirs; --delete-crds deletes them\n",
				o.Namespace, o.Release, strings.Join(o.Result.KeptCRDs, ", "))
		}
		if len(o.Result.DeletedCRDs) > 0 {
			fmt.Fprintf(streams.Err, "%s/%s: deleted CRDs %s\n", o.Namespace, o.Release, strings.Join(o.Result.DeletedCRDs, ", "))
		}
	}
}
