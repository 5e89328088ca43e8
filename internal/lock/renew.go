package lock

import (
	"context"
	"errors"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Release stops renewing and frees the lock, so that a waiting run can go on at once. The
// lease keeps the flights not yet Done, for the next holder (see Left).
func (l *Lock) Release(ctx context.Context) error {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.update(ctx, func(lease *coordinationv1.Lease) error {
		lease.Spec.HolderIdentity = nil
		lease.Spec.RenewTime = nil
		return setFlights(lease, l.flights)
	})
	switch {
	case errors.Is(err, errTakenOver):
		return errors.Join(l.err, errors.New("release the project lock: another run took it over; it was not renewed in time"))
	case err != nil:
		return fmt.Errorf("release the project lock: %w", err)
	}
	return l.err
}

// renew keeps the lease alive, every third of its duration. A renewal that fails is tried
// again while the next try can still end before the renewal deadline, half a period before
// the lease expires; after that the lock is given up (Lost), while it is still ours, so that
// the run has that half period to stop before another run can take it over. No try runs past
// the deadline, so a renewal that hangs cannot use the margin up (client-go's leader election
// keeps a RenewDeadline below the lease duration for the same reason).
func (l *Lock) renew() {
	defer close(l.done)
	every := l.opts.Duration / 3
	clk := l.opts.Clock
	for {
		select {
		case <-l.stop:
			return
		case <-clk.After(every):
		}
		deadline := l.expires.Add(-every / 2)
		budget := min(every, deadline.Sub(clk.Now()))
		var renewed time.Time
		err := errRenewDeadline
		if budget > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), budget)
			renewed, err = l.touch(ctx)
			cancel()
		}
		if err == nil {
			l.expires = renewed.Add(l.opts.Duration)
			continue
		}
		if errors.Is(err, errTakenOver) || !clk.Now().Add(every).Before(deadline) {
			l.err = fmt.Errorf("the project lock was not renewed in time (it expires at %s): %w",
				l.expires.Format(time.RFC3339), err)
			close(l.lost)
			return
		}
	}
}

var (
	errTakenOver     = errors.New("another run holds it now")
	errRenewDeadline = errors.New("the renewal deadline passed")
)

// touch writes a new renew time and returns it.
func (l *Lock) touch(ctx context.Context) (time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.opts.Clock.Now()
	err := l.update(ctx, func(lease *coordinationv1.Lease) error {
		micro := metav1.NewMicroTime(now)
		lease.Spec.RenewTime = &micro
		return nil
	})
	return now, err
}

// update changes the lease with change, while this run holds it, in one request: it starts
// from the lease as this run last wrote it. A conflict means that something else wrote it
// since: it is read again, and may have been taken over. l.mu must be held.
func (l *Lock) update(ctx context.Context, change func(*coordinationv1.Lease) error) error {
	lease := l.lease
	for range 3 {
		if lease == nil {
			got, err := l.leases.Get(ctx, Name(l.opts.Project), metav1.GetOptions{})
			if err != nil {
				return err
			}
			lease = got
		}
		if !mine(lease, l.opts.Me) {
			return errTakenOver
		}
		next := lease.DeepCopy()
		if err := change(next); err != nil {
			return err
		}
		written, err := l.leases.Update(ctx, next, metav1.UpdateOptions{})
		if err == nil {
			l.lease = written
			return nil
		}
		if !apierrors.IsConflict(err) {
			return err
		}
		lease = nil
	}
	return errors.New("the lease kept changing under this run")
}
