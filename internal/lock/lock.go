// Package lock keeps two kaji runs from changing one project's releases at once. The lock is a
// coordination.k8s.io/v1 Lease per project, renewed while the run lasts and taken over when its
// holder stopped renewing it (a crashed run).
//
// No run trusts another machine's clock. As client-go's leader election does, a waiting run
// judges a holder gone only once it has seen the Lease stay unchanged for a whole lease
// duration of its own clock; the renew time written in the Lease is only shown to people.
package lock

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	coordclient "k8s.io/client-go/kubernetes/typed/coordination/v1"
	"k8s.io/utils/clock"
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
	// Run is random to each run, so that two runs with the same user, host and pid (two
	// containers, each pid 1) are never taken for one another. Acquire fills it in.
	Run string `json:"run,omitempty"`
	// Since is when the holder took the lock; Renewed when it last said it is alive. Both are
	// read on the holder's clock, which may differ from the reader's.
	Since   time.Time `json:"since"`
	Renewed time.Time `json:"renewed"`
	// Expired says the holder looks stopped. Given to Options.OnTakeover, it means that this
	// run saw the lease unchanged for a whole lease duration of its own clock. From Inspect, it
	// only means that Renewed is older than the lease duration by the reader's clock: a hint
	// for people, never the basis of a takeover, since the clocks of two machines may differ.
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
	// Me identifies this run; Since and Renewed are filled in, and Run when it is empty.
	Me Holder
	// Duration is how long the lock lives without renewal; it is renewed every third of it.
	// It is rounded up to whole seconds, as the Lease stores it. Zero means DefaultDuration.
	Duration time.Duration
	// Timeout bounds the wait for a lock someone else holds. Zero means DefaultTimeout. A lock
	// whose holder stopped is only taken over once it has been seen unchanged for its lease
	// duration: a Timeout shorter than that never takes one over.
	Timeout time.Duration
	// OnWait is called when the lock is held by someone else, each time the holder changes.
	OnWait func(Holder)
	// OnTakeover is called when the lock is taken over from a holder that stopped renewing
	// it: a run that died, or lost its connection, and may have left releases pending.
	OnTakeover func(Holder)
	// Clock times the waits and the renewals, and the lease durations this run observes. Nil
	// means the real clock.
	Clock clock.WithTicker
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

// holderOf reads a lease; ok is false when nobody holds it. Expired is left to the caller.
func holderOf(lease *coordinationv1.Lease) (h Holder, ok bool) {
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
	return h, true
}

// durationOf is how long the lease lives without renewal, as its holder wrote it.
func durationOf(lease *coordinationv1.Lease) time.Duration {
	if lease.Spec.LeaseDurationSeconds != nil {
		return time.Duration(*lease.Spec.LeaseDurationSeconds) * time.Second
	}
	return DefaultDuration
}

// mine tells whether the lease is held by the run me: the same run ID, not only the same user,
// host and pid.
func mine(lease *coordinationv1.Lease, me Holder) bool {
	if lease.Spec.HolderIdentity == nil || me.Run == "" {
		return false
	}
	var h Holder
	if json.Unmarshal([]byte(*lease.Spec.HolderIdentity), &h) != nil {
		return false
	}
	return h.Run == me.Run && h.Who == me.Who && h.PID == me.PID && h.Command == me.Command
}

// newRunID returns 8 random bytes in hex.
func newRunID() string {
	b := make([]byte, 8)
	rand.Read(b) // never fails: it crashes the program instead
	return hex.EncodeToString(b)
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
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Me.Run == "" {
		o.Me.Run = newRunID()
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	return o
}
