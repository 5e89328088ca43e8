package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

type unlockFlags struct {
	yes  bool
	lock lockFlags
}

// unlockLockTimeout is how long unlock waits for the project lock by default: long enough to
// see the lock of a run that died (a default lease) go unrenewed, short enough to give up soon
// on a live run, which may be working on the release.
const unlockLockTimeout = time.Minute

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
next apply recovers it by itself.

unlock holds the project lock from before it looks at the release until it ends,
the question included, so that no apply starts meanwhile. While a live kaji run
holds the lock, that run may still be working on the release: unlock waits up to
--lock-timeout (1m by default) and then gives up, naming that run. The lock of a
run that died is taken over once unlock has seen it go unrenewed for a whole
lease (--lock-lease of that run, 30s by default). It asks first on a terminal;
elsewhere it needs --yes.`,
		Example: `  kaji plan                 # shows pending releases, their age and the lock holder
  kaji unlock api
  kaji unlock api --env prod --yes
  kaji unlock api --lock-timeout 0s   # give up at once while another run holds the lock`,
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
			if !f.yes && !streams.Interactive {
				return &UsageError{Err: errors.New("unlock needs confirmation and no terminal is attached: pass --yes")}
			}
			conn, err := g.connect(cmd.Context(), res.Cluster)
			if err != nil {
				return err
			}
			return unlockHolding(cmd.Context(), streams, conn, f.lock, res.Project, r.Name, func(ctx context.Context, l *lock.Lock) error {
				if !f.yes {
					ok, err := streams.confirm(ctx, streams.Out, fmt.Sprintf("Mark the pending operation of %s/%s failed? Only do this if no Helm operation is running on it.", r.Namespace, r.Name))
					if err != nil || !ok {
						if err == nil {
							fmt.Fprintln(streams.Out, "Nothing was changed.")
						}
						return err
					}
				}
				mgr := release.NewManager(conn, release.Options{Project: res.Project, Logger: g.logHandler(streams)})
				u, err := mgr.Unlock(ctx, r.Name, r.Namespace, time.Now())
				if err != nil {
					return err
				}
				// A flight a stopped run left for this revision is given up now.
				l.Done(lock.Flight{Namespace: u.Namespace, Name: u.Name, Revision: u.Revision})
				fmt.Fprintf(streams.Out, "unlocked %s/%s: revision %d was %s for %s and is now failed; run kaji apply to upgrade it\n",
					u.Namespace, u.Name, u.Revision, u.Was, u.Age.Round(time.Second))
				return nil
			})
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	f.lock.addWaiting(fs, unlockLockTimeout, "how long to wait while another run holds the project lock; 0s gives up at once")
	return cmd
}

// unlockHolding runs fn while holding the project lock, for unlock: a live holder is named,
// and fn's context ends if the lock is lost.
func unlockHolding(ctx context.Context, streams Streams, conn *cluster.Conn, f lockFlags, project, name string, fn func(context.Context, *lock.Lock) error) error {
	cs, err := conn.Clientset()
	if err != nil {
		return err
	}
	timeout := f.timeout
	if timeout == 0 {
		timeout = time.Nanosecond // lock.Options reads zero as its default
	}
	l, err := lock.Acquire(ctx, cs.CoordinationV1(), lock.Options{
		Namespace: f.namespace, Project: project, Timeout: timeout, Duration: f.lease,
		Me: me("unlock"),
		OnWait: func(h lock.Holder) {
			fmt.Fprintf(streams.Err, "waiting for the project lock held by %s (up to %s)\n", h, f.timeout)
		},
		OnTakeover: func(h lock.Holder) {
			fmt.Fprintf(streams.Err, "took over the project lock of %s, which this run saw unrenewed for a whole lease (last renewed at %s by its clock): a run that died or lost its connection\n",
				h, h.Renewed.Format(time.RFC3339))
		},
	})
	var held *lock.HeldError
	if errors.As(err, &held) {
		return fmt.Errorf("that run may still be working on %s: %w", name, err)
	}
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-l.Lost():
			cancel(fmt.Errorf("%w: %w", errLockLost, l.Err()))
		case <-runCtx.Done():
		}
	}()
	runErr := fn(runCtx, l)
	cancel(nil)
	relCtx, relCancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer relCancel()
	relErr := l.Release(relCtx)
	switch lost := l.Err(); {
	case lost != nil: // Release returns it too, even when the release itself worked
		return errors.Join(runErr, fmt.Errorf("the project lock was lost while unlock ran: %w", lost))
	case relErr != nil:
		return errors.Join(runErr, fmt.Errorf("%w; it expires by itself within %s", relErr, f.lease))
	}
	return runErr
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
