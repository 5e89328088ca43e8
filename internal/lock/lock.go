// Package lock keeps two kaji runs from changing one project's releases at once. The lock is a
// coordination.k8s.io/v1 Lease per project, renewed while the run lasts and taken over when its
// holder stopped renewing it (a crashed run).
package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
)

// Defaults.
const (
	DefaultNamespace = "default"
	DefaultDuration  = 30 * time.Second
	DefaultTimeout   = 5 * time.Minute
)

// Holder says who holds a lock.
type Holder struct {
	// Who is user@host.
	Who     string `json:"who"`
	PID     int    `json:"pid"`
	Version string `json:"version"`
	// Command is what the holder runs, such as "apply".
	Command string `json:"command,omitempty"`
	// Since is when the holder took the lock; Renewed when it last said it is alive.
	Since   time.Time `json:"since"`
	Renewed time.Time `json:"renewed"`
	// Expired is set when the holder stopped renewing: the lock can be taken over.
	Expired bool `json:"expired,omitempty"`
}

func (h Holder) String() string {
	s := fmt.Sprintf("%s (pid %d, kaji %s", h.Who, h.PID, h.Version)
	if h.Command != "" {
		s += ", " + h.Command
	}
	return s + fmt.Sprintf(") since %s", h.Since.Format(time.RFC3339))
}

// Options describe the lock of one project.
type Options struct {
	Namespace string
	Project   string
	// Me identifies this run; Since and Renewed are filled in.
	Me Holder
	// Duration is how long the lock lives without renewal; it is renewed every third of it.
	// It is rounded up to whole seconds, as the Lease stores it. Zero means DefaultDuration.
	Duration time.Duration
	// Timeout bounds the wait for a lock someone else holds. Zero means DefaultTimeout.
	Timeout time.Duration
	// OnWait is called when the lock is held by someone else, each time the holder changes.
	OnWait func(Holder)
	// OnTakeover is called when the lock is taken over from a holder that stopped renewing
	// it: a run that died, or lost its connection, and may have left releases pending.
	OnTakeover func(Holder)
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Poll is how often a waiting run looks again. Zero means one second.
	Poll time.Duration
}

// HeldError says the lock stayed with someone else until the wait ended.
type HeldError struct {
	Holder Holder
	Waited time.Duration
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("the project lock is held by %s; waited %s (raise --lock-timeout, or wait for that run to end)",
		e.Holder, e.Waited.Round(time.Second))
}

// Name is the Lease name of a project's lock.
func Name(project string) string { return "kaji-" + project }

// Lock is a held lock. Release it when the run ends.
type Lock struct {
	leases coordclient.LeaseInterface
	opts   Options
	stop   chan struct{}
	done   chan struct{}
	lost   chan struct{}
	err    error
	// expires is when the lease runs out unless renewed; only renew touches it.
	expires time.Time
	// left are the flights the previous holder left in the lease.
	left []Flight
	// mu serializes the writes of the lease (renewals, Record, Done, Release), so that none
	// undoes another. It guards lease, as this run last wrote it, and flights, what it says.
	mu      sync.Mutex
	lease   *coordinationv1.Lease
	flights []Flight
}

// Lost is closed when the lock could not be renewed in time, before it expires, so that the
// run can stop before another run may take it over.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Err says why the lock was lost. It is nil until Lost is closed.
func (l *Lock) Err() error {
	select {
	case <-l.lost:
		return l.err
	default:
		return nil
	}
}

// Acquire takes the project's lock, waiting up to opts.Timeout while another live run holds it,
// and keeps renewing it until Release.
func Acquire(ctx context.Context, leases coordclient.LeasesGetter, opts Options) (*Lock, error) {
	opts = withDefaults(opts)
	c := leases.Leases(opts.Namespace)
	start := opts.Now()
	var last string
	var at time.Time
	for {
		at = opts.Now()
		held, lease, err := tryAcquire(ctx, c, opts, at)
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
		if key := held.Who + fmt.Sprint(held.PID, held.Since); key != last && opts.OnWait != nil {
			last = key
			opts.OnWait(*held)
		}
		if waited := opts.Now().Sub(start); waited >= opts.Timeout {
			return nil, &HeldError{Holder: *held, Waited: waited}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the project lock held by %s: %w", held, ctx.Err())
		case <-time.After(opts.Poll):
		}
	}
}

// Inspect returns the holder of the project's lock, or nil when nobody holds it. It never
// takes the lock.
func Inspect(ctx context.Context, leases coordclient.LeasesGetter, opts Options) (*Holder, error) {
	opts = withDefaults(opts)
	lease, err := leases.Leases(opts.Namespace).Get(ctx, Name(opts.Project), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the project lock %s/%s: %w", opts.Namespace, Name(opts.Project), err)
	}
	h, ok := holderOf(lease, opts.Now())
	if !ok {
		return nil, nil
	}
	return &h, nil
}

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
// again while the next try can still land before the lease expires; after that the lock is
// given up (Lost), while it is still ours, so that the run stops before another run can take
// it over.
func (l *Lock) renew() {
	defer close(l.done)
	every := l.opts.Duration / 3
	for {
		select {
		case <-l.stop:
			return
		case <-time.After(every):
		}
		left := l.expires.Sub(l.opts.Now())
		ctx, cancel := context.WithTimeout(context.Background(), min(every, left))
		renewed, err := l.touch(ctx)
		cancel()
		if err == nil {
			l.expires = renewed.Add(l.opts.Duration)
			continue
		}
		if errors.Is(err, errTakenOver) || !l.opts.Now().Add(every).Before(l.expires) {
			l.err = fmt.Errorf("the project lock was not renewed in time (it expires at %s): %w",
				l.expires.Format(time.RFC3339), err)
			close(l.lost)
			return
		}
	}
}

var errTakenOver = errors.New("another run holds it now")

// touch writes a new renew time and returns it.
func (l *Lock) touch(ctx context.Context) (time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.opts.Now()
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

// tryAcquire takes the lease when it is free, expired or already ours, and returns it as
// written, with the flights the previous holder left; otherwise it returns its live holder.
func tryAcquire(ctx context.Context, c coordclient.LeaseInterface, opts Options, now time.Time) (*Holder, *coordinationv1.Lease, error) {
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
			return tryAcquire(ctx, c, opts, now) // someone created it first: look again
		}
		if err != nil {
			return nil, nil, lockError(opts, err)
		}
		return nil, created, nil
	case err != nil:
		return nil, nil, lockError(opts, err)
	}
	h, held := holderOf(lease, now)
	if held && !h.Expired && !mine(lease, opts.Me) {
		return &h, nil, nil
	}
	spec.LeaseTransitions = lease.Spec.LeaseTransitions
	takeover := held && !mine(lease, opts.Me)
	if takeover { // an expired holder's lock
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
			return tryAcquire(ctx, c, opts, now) // another run moved first: look again
		}
		return nil, nil, lockError(opts, err)
	}
	if takeover && opts.OnTakeover != nil {
		opts.OnTakeover(h)
	}
	return nil, written, nil
}

// holderOf reads a lease; ok is false when nobody holds it.
func holderOf(lease *coordinationv1.Lease, now time.Time) (h Holder, ok bool) {
	if lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		return Holder{}, false
	}
	if err := json.Unmarshal([]byte(*lease.Spec.HolderIdentity), &h); err != nil {
		h = Holder{Who: *lease.Spec.HolderIdentity} // written by something else; still a holder
	}
	if lease.Spec.RenewTime != nil {
		h.Renewed = lease.Spec.RenewTime.Time
	}
	if lease.Spec.AcquireTime != nil {
		h.Since = lease.Spec.AcquireTime.Time
	}
	d := DefaultDuration
	if lease.Spec.LeaseDurationSeconds != nil {
		d = time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second
	}
	h.Expired = now.After(h.Renewed.Add(d))
	return h, true
}

func mine(lease *coordinationv1.Lease, me Holder) bool {
	if lease.Spec.HolderIdentity == nil {
		return false
	}
	var h Holder
	if json.Unmarshal([]byte(*lease.Spec.HolderIdentity), &h) != nil {
		return false
	}
	return h.Who == me.Who && h.PID == me.PID && h.Command == me.Command
}

func lockError(opts Options, err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("take the project lock (Lease %s/%s): %w; grant get, create and update on leases.coordination.k8s.io in %s, or pick another namespace with --lock-namespace",
			opts.Namespace, Name(opts.Project), err, opts.Namespace)
	}
	return fmt.Errorf("take the project lock (Lease %s/%s): %w", opts.Namespace, Name(opts.Project), err)
}

func withDefaults(o Options) Options {
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	// The Lease counts whole seconds: round up, so that it never expires before this run
	// expects it to.
	o.Duration = (o.Duration + time.Second - 1).Truncate(time.Second)
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	return o
}
