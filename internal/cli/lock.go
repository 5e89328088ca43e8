package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/spf13/pflag"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/doctor"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/version"
)

// lockFlags are the flags of the commands that take the project lock.
type lockFlags struct {
	namespace string
	timeout   time.Duration
}

func (f *lockFlags) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.namespace, "lock-namespace", lock.DefaultNamespace, "namespace of the project lock (a coordination.k8s.io Lease named kaji-PROJECT)")
	fs.DurationVar(&f.timeout, "lock-timeout", lock.DefaultTimeout, "how long to wait while another run holds the project lock")
}

// withLock runs fn while holding the project lock. fn's context ends when the lock is lost, so
// that no new release starts without it.
func (s *session) withLock(ctx context.Context, streams Streams, f lockFlags, command string, fn func(context.Context) error) error {
	cs, err := s.conn.Clientset()
	if err != nil {
		return err
	}
	l, err := lock.Acquire(ctx, cs.CoordinationV1(), lock.Options{
		Namespace: f.namespace, Project: s.resolved.Project, Timeout: f.timeout,
		Me: me(command),
		OnWait: func(h lock.Holder) {
			fmt.Fprintf(streams.Err, "waiting for the project lock held by %s (up to %s)\n", h, f.timeout)
		},
	})
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-l.Lost():
			fmt.Fprintln(streams.Err, "the project lock was lost: no new release starts")
			cancel()
		case <-runCtx.Done():
		}
	}()
	runErr := fn(runCtx)
	// Release even when ctx was interrupted, so that the next run need not wait for expiry.
	relCtx, relCancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer relCancel()
	if err := l.Release(relCtx); err != nil {
		return errors.Join(runErr, fmt.Errorf("%w; it expires by itself within %s", err, lock.DefaultDuration))
	}
	return runErr
}

// me identifies this run in the lock: user@host, pid and kaji version.
func me(command string) lock.Holder {
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return lock.Holder{Who: who + "@" + host, PID: os.Getpid(), Version: version.Get().Version, Command: command}
}

// hintOutcomes points at kaji doctor when a release failed the way a broken link to the cluster
// makes it fail.
func hintOutcomes(streams Streams, sum *apply.Summary) {
	errs := make([]error, 0, len(sum.Outcomes))
	for _, o := range sum.Outcomes {
		errs = append(errs, o.Err)
	}
	if h := doctor.Hint(errs...); h != "" {
		fmt.Fprintln(streams.Err, h)
	}
}
