package lock

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
)

// Acquire takes the project's lock, waiting up to opts.Timeout while another live run holds it,
// and keeps renewing it until Release. A holder is judged gone, and its lock taken over, once
// this run has seen the lease unchanged for the lease's duration by its own clock: a run that
// first sees a lease waits that long whatever the renew time in it says.
func Acquire(ctx context.Context, leases coordclient.LeasesGetter, opts Options) (*Lock, error) {
	opts = withDefaults(opts)
	c := leases.Leases(opts.Namespace)
	start := opts.Clock.Now()
	var seen observation
	var last string
	for {
		at := opts.Clock.Now()
		held, lease, err := tryAcquire(ctx, c, opts, &seen)
		if err != nil {
			return nil, err
		}
		if held == nil {
			left := flightsOf(lease)
			l := &Lock{leases: c, opts: opts, expires: at.Add(opts.Duration), lease: lease, left: left, flights: left,
				stop: make(chan struct{}), done: make(chan struct{}), lost: make(chan struct{})}
			go l.renew()
			return l, nil
		}
		if key := held.Run + held.Who + fmt.Sprint(held.PID, held.Since); key != last && opts.OnWait != nil {
			last = key
			opts.OnWait(*held)
		}
		if waited := opts.Clock.Since(start); waited >= opts.Timeout {
			return nil, &HeldError{Holder: *held, Waited: waited}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the project lock held by %s: %w", held, ctx.Err())
		case <-opts.Clock.After(opts.Poll):
		}
	}
}

// Inspect returns the holder of the project's lock, or nil when nobody holds it. It never
// takes the lock, and looks only once: it cannot tell a stopped holder from one whose clock
// is behind. Holder.Expired says that the renew time, read on the holder's clock, is older
// than the lease duration by the reader's clock (opts.Clock): a hint to show, never the basis
// of a takeover. Only Acquire, which watches the lease over time, takes a lock over.
func Inspect(ctx context.Context, leases coordclient.LeasesGetter, opts Options) (*Holder, error) {
	opts = withDefaults(opts)
	lease, err := leases.Leases(opts.Namespace).Get(ctx, Name(opts.Project), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the project lock %s/%s: %w", opts.Namespace, Name(opts.Project), err)
	}
	h, ok := holderOf(lease)
	if !ok {
		return nil, nil
	}
	h.Expired = opts.Clock.Now().After(h.Renewed.Add(durationOf(lease)))
	return &h, nil
}

// observation is what a waiting run last saw of the lease, and when, by its own clock.
type observation struct {
	record string
	at     time.Time
}

// unchangedFor notes lease as seen now and returns how long it has been seen unchanged: any
// write (a renewal, a new holder, recorded flights) starts the count again.
func (o *observation) unchangedFor(lease *coordinationv1.Lease, now time.Time) time.Duration {
	record := lease.ResourceVersion
	if id := lease.Spec.HolderIdentity; id != nil {
		record += "\n" + *id
	}
	if rt := lease.Spec.RenewTime; rt != nil {
		record += "\n" + rt.UTC().Format(time.RFC3339Nano)
	}
	if record != o.record {
		o.record, o.at = record, now
	}
	return now.Sub(o.at)
}

// tryAcquire takes the lease when it is free, already ours, or seen unchanged for its duration,
// and returns it as written, with the flights the previous holder left; otherwise it returns
// its live holder.
func tryAcquire(ctx context.Context, c coordclient.LeaseInterface, opts Options, seen *observation) (*Holder, *coordinationv1.Lease, error) {
	now := opts.Clock.Now()
	me := opts.Me
	me.Since, me.Renewed = now, now
	identity, err := json.Marshal(me)
	if err != nil {
		return nil, nil, err
	}
	id := string(identity)
	seconds := int32(opts.Duration / time.Second)
	micro := metav1.NewMicroTime(now)
	spec := coordinationv1.LeaseSpec{HolderIdentity: &id, LeaseDurationSeconds: &seconds, AcquireTime: &micro, RenewTime: &micro}

	lease, err := c.Get(ctx, Name(opts.Project), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		created, err := c.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: Name(opts.Project), Labels: map[string]string{"app.kubernetes.io/managed-by": "kaji", "kaji.dev/project": opts.Project}},
			Spec:       spec,
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) {
			return tryAcquire(ctx, c, opts, seen) // someone created it first: look again
		}
		if err != nil {
			return nil, nil, lockError(opts, err)
		}
		return nil, created, nil
	case err != nil:
		return nil, nil, lockError(opts, err)
	}
	h, held := holderOf(lease)
	takeover := held && !mine(lease, opts.Me)
	if takeover {
		// When it was seen is read after the Get: read before it, the time could precede the
		// holder's last write, and the wait end early.
		if seen.unchangedFor(lease, opts.Clock.Now()) < durationOf(lease) {
			return &h, nil, nil
		}
		h.Expired = true
	}
	spec.LeaseTransitions = lease.Spec.LeaseTransitions
	if takeover { // the lock of a holder that stopped renewing it
		var n int32
		if lease.Spec.LeaseTransitions != nil {
			n = *lease.Spec.LeaseTransitions
		}
		n++
		spec.LeaseTransitions = &n
	}
	lease.Spec = spec
	written, err := c.Update(ctx, lease, metav1.UpdateOptions{})
	if err != nil {
		if apierrors.IsConflict(err) {
			return tryAcquire(ctx, c, opts, seen) // another run moved first: look again
		}
		return nil, nil, lockError(opts, err)
	}
	if takeover && opts.OnTakeover != nil {
		opts.OnTakeover(h)
	}
	return nil, written, nil
}
