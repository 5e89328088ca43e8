package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/pflag"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/doctor"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/version"
)

// minLockLease is the shortest --lock-lease: the lease is renewed every third of it, and each
// renewal is a round trip to the API server.
const minLockLease = 3 * time.Second

// lockFlags are the flags of the commands that take the project lock.
type lockFlags struct {
	namespace string
	timeout   time.Duration
	lease     time.Duration
}

func (f *lockFlags) add(fs *pflag.FlagSet) {
	f.addWaiting(fs, lock.DefaultTimeout, "how long to wait while another run holds the project lock")
}

// addWaiting adds the flags with a --lock-timeout of timeout, described by usage.
func (f *lockFlags) addWaiting(fs *pflag.FlagSet, timeout time.Duration, usage string) {
	fs.StringVar(&f.namespace, "lock-namespace", lock.DefaultNamespace, "namespace of the project lock (a coordination.k8s.io Lease named kaji-PROJECT)")
	fs.DurationVar(&f.timeout, "lock-timeout", timeout, usage)
	f.lease = lock.DefaultDuration
	fs.Var(leaseValue{&f.lease}, "lock-lease", fmt.Sprintf("how long the lock outlives a run that died without releasing it; renewed every third of it (at least %s)", minLockLease))
}

// leaseValue is a duration flag of at least minLockLease, checked as the flag is parsed so
// that a wrong value is a usage error before anything else happens.
type leaseValue struct{ d *time.Duration }

func (v leaseValue) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}

func (v leaseValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if d < minLockLease {
		return fmt.Errorf("the lock lease must be at least %s, since it is renewed every third of it", minLockLease)
	}
	*v.d = d
	return nil
}

func (leaseValue) Type() string { return "duration" }

// errLockLost is the cause of the run's cancellation when its lock is lost.
var errLockLost = errors.New("the project lock was lost")

// holdLock runs fn while holding the project lock l. When the lock is lost (it could not be
// renewed, most often because the API server cannot be reached) fn's context is cancelled, so
// that nothing new starts, and halt is closed, so that fn cuts off what is running: this run
// no longer owns the project. fn records in l the operations it starts, and which ended.
func (s *session) holdLock(ctx context.Context, streams Streams, f lockFlags, command string, fn func(ctx context.Context, l *lock.Lock, halt <-chan struct{}) error) error {
	cs, err := s.conn.Clientset()
	if err != nil {
		return err
	}
	l, err := lock.Acquire(ctx, cs.CoordinationV1(), lock.Options{
		Namespace: f.namespace, Project: s.resolved.Project, Timeout: f.timeout, Duration: f.lease,
		Me: me(command),
		OnWait: func(h lock.Holder) {
			fmt.Fprintf(streams.Err, "waiting for the project lock held by %s (up to %s)\n", h, f.timeout)
		},
		OnTakeover: func(h lock.Holder) {
			fmt.Fprintf(streams.Err, "took over the project lock of %s, which this run saw unrenewed for a whole lease (last renewed at %s by its clock): a run that died or lost its connection; releases it was changing may be left pending\n",
				h, h.Renewed.Format(time.RFC3339))
		},
	})
	if err != nil {
		return err
	}
	s.inflight.holding(f.lease)
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	halt, watched := make(chan struct{}), make(chan struct{})
	lost := false
	go func() {
		defer close(watched)
		select {
		case <-l.Lost():
			lost = true
			fmt.Fprintf(streams.Err, "the project lock could not be renewed: %v\nno new release starts, and running Helm operations are cut off\n", rootCause(l.Err()))
			cancel(errLockLost)
			close(halt)
		case <-runCtx.Done():
		}
	}()
	runErr := fn(runCtx, l, halt)
	cancel(nil)
	<-watched
	// Release even when ctx was interrupted, so that the next run need not wait for expiry.
	relCtx, relCancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer relCancel()
	relErr := l.Release(relCtx)
	s.inflight.holding(0)
	switch {
	case lost:
		return &stoppedError{command: command, host: strings.TrimSuffix(s.conn.Host(), "/"), lost: true, cause: l.Err(), lease: f.lease, run: runErr, release: relErr}
	case relErr != nil && unreachable(relErr):
		return &stoppedError{command: command, host: strings.TrimSuffix(s.conn.Host(), "/"), cause: relErr, lease: f.lease, run: runErr}
	case relErr != nil:
		return errors.Join(runErr, fmt.Errorf("%w; it expires by itself within %s", relErr, f.lease))
	}
	return runErr
}

// stoppedError says that a run lost its lock, or could not release it, and what to do next.
type stoppedError struct {
	command, host string
	// lost is set when the lock could not be renewed, so that the run stopped.
	lost bool
	// cause is why: the failed renewal, or the failed release.
	cause error
	lease time.Duration
	// run is what the run itself returned; release is the failed release of a lost lock.
	run, release error
}

func (e *stoppedError) Error() string {
	var b strings.Builder
	down := unreachable(e.cause)
	switch {
	case down && e.lost:
		fmt.Fprintf(&b, "the API server at %s could not be reached (%v): the project lock could not be renewed, so this run stopped", e.host, rootCause(e.cause))
	case down:
		fmt.Fprintf(&b, "the API server at %s could not be reached (%v) when this run ended, to release the project lock", e.host, rootCause(e.cause))
	default:
		fmt.Fprintf(&b, "the project lock was lost, so this run stopped: %v", e.cause)
	}
	if down {
		fmt.Fprintf(&b, "; the lock expires by itself within %s", e.lease)
	}
	next := "\n"
	if down {
		next = "\nonce the API server answers again, "
	}
	var re *apply.RunError
	switch {
	case errors.As(e.run, &re) && len(re.FailedReleases) > 0:
		// Helm may not have been able to record how their operations ended.
		fmt.Fprintf(&b, "\nthese releases may be left pending: %s%s%s", strings.Join(re.FailedReleases, ", "), next, recoverPending(e.command))
	case e.run != nil:
		fmt.Fprintf(&b, "%srun `kaji %s` again", next, e.command)
	}
	return b.String()
}

func (e *stoppedError) Unwrap() []error { return []error{e.cause, e.run, e.release} }

// unreachable tells whether err is a failure to reach the API server at all, as opposed to
// an answer from it.
func unreachable(err error) bool {
	var op *net.OpError
	var ne net.Error
	return errors.As(err, &op) || (errors.As(err, &ne) && ne.Timeout()) ||
		utilnet.IsConnectionRefused(err) || utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err)
}

// rootCause is the network error under err when there is one, such as "dial tcp
// 127.0.0.1:6443: connect: connection refused", else err.
func rootCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	return err
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
