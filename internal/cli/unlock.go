package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

type unlockFlags struct {
	yes           bool
	lockNamespace string
}

func newUnlockCommand(g *globalFlags, streams Streams) *cobra.Command {
	f := &unlockFlags{}
	cmd := &cobra.Command{
		Use:   "unlock RELEASE",
		Short: "Give up a release's stuck pending operation so that the next apply can upgrade it",
		Long: `When a Helm operation is cut off (a killed process, a lost connection), its release
stays pending-install, pending-upgrade or pending-rollback, and every later operation
fails with "another operation (install/upgrade/rollback) is in progress".

unlock marks that pending revision failed, as Flux's helm-controller does; the next
kaji apply then upgrades the release normally. A release that a stopped kaji apply
left pending needs no unlock: that run recorded it in the project lock, and the
next apply recovers it by itself. It refuses while a kaji run holds the
project lock, since that run may still be working on the release. It asks first on a
terminal; elsewhere it needs --yes.`,
		Example: `  kaji plan                 # shows pending releases, their age and the lock holder
  kaji unlock api
  kaji unlock api --env prod --yes`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &UsageError{Err: fmt.Errorf("%s takes one release name, got %d arguments", cmd.CommandPath(), len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := g.load()
			if err != nil {
				return err
			}
			r, err := findRelease(res, args[0])
			if err != nil {
				return err
			}
			conn, err := g.connect(cmd.Context(), res.Cluster)
			if err != nil {
				return err
			}
			cs, err := conn.Clientset()
			if err != nil {
				return err
			}
			holder, err := lock.Inspect(cmd.Context(), cs.CoordinationV1(), lock.Options{Namespace: f.lockNamespace, Project: res.Project})
			if err != nil {
				return err
			}
			if holder != nil && !holder.Expired {
				return fmt.Errorf("the project lock is held by %s: that run may still be working on %s; wait for it to end", holder, r.Name)
			}
			if !f.yes {
				if !streams.Interactive {
					return &UsageError{Err: errors.New("unlock needs confirmation and no terminal is attached: pass --yes")}
				}
				ok, err := streams.confirm(cmd.Context(), streams.Out, fmt.Sprintf("Mark the pending operation of %s/%s failed? Only do this if no Helm operation is running on it.", r.Namespace, r.Name))
				if err != nil || !ok {
					if err == nil {
						fmt.Fprintln(streams.Out, "Nothing was changed.")
					}
					return err
				}
			}
			mgr := release.NewManager(conn, release.Options{Project: res.Project, Logger: g.logHandler(streams)})
			u, err := mgr.Unlock(cmd.Context(), r.Name, r.Namespace, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "unlocked %s/%s: revision %d was %s for %s and is now failed; run kaji apply to upgrade it\n",
				u.Namespace, u.Name, u.Revision, u.Was, u.Age.Round(time.Second))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().StringVar(&f.lockNamespace, "lock-namespace", lock.DefaultNamespace, "namespace of the project lock (a Lease)")
	return cmd
}

// findRelease returns the release of kaji.yaml called name.
func findRelease(res *spec.Resolved, name string) (spec.ResolvedRelease, error) {
	names := make([]string, 0, len(res.Releases))
	for _, r := range res.Releases {
		if r.Name == name {
			return r, nil
		}
		names = append(names, r.Name)
	}
	return spec.ResolvedRelease{}, &UsageError{Err: fmt.Errorf("no release %q in kaji.yaml (releases: %v)", name, names)}
}
