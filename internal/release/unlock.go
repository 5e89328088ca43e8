package release

import (
	"context"
	"fmt"
	"time"

	"helm.sh/helm/v4/pkg/release/common"
)

// NotPendingError says a release has nothing to unlock.
type NotPendingError struct {
	Name, Namespace, Status string
}

func (e *NotPendingError) Error() string {
	return fmt.Sprintf("release %s/%s is %s, not pending: there is nothing to unlock", e.Namespace, e.Name, e.Status)
}

// Unlocked describes a release whose stuck operation was given up.
type Unlocked struct {
	Name, Namespace string
	Revision        int
	// Was is the pending status the revision had.
	Was string
	// Age is how long it had been pending.
	Age time.Duration
}

// Unlock marks the pending revision of a release failed, as Flux's helm-controller does with a
// release left pending by an interrupted operation. The next upgrade then proceeds normally.
// The caller must make sure no operation is running on the release.
func (m *Manager) Unlock(ctx context.Context, name, namespace string, now time.Time) (Unlocked, error) {
	cfg, err := m.config(namespace)
	if err != nil {
		return Unlocked{}, err
	}
	last, err := m.last(cfg, name)
	if err != nil {
		return Unlocked{}, err
	}
	if last == nil {
		return Unlocked{}, fmt.Errorf("release %s/%s not found: check the name and namespace", namespace, name)
	}
	if !last.Info.Status.IsPending() {
		return Unlocked{}, &NotPendingError{Name: name, Namespace: namespace, Status: last.Info.Status.String()}
	}
	u := Unlocked{Name: name, Namespace: namespace, Revision: last.Version, Was: last.Info.Status.String(),
		Age: now.Sub(last.Info.LastDeployed)}
	last.SetStatus(common.StatusFailed, fmt.Sprintf("kaji unlock: gave up the %s operation, pending since %s", u.Was, last.Info.LastDeployed.Format(time.RFC3339)))
	last.Info.LastDeployed = now
	if err := cfg.Releases.Update(last); err != nil {
		return Unlocked{}, fmt.Errorf("mark release %s/%s failed: %w", namespace, name, err)
	}
	return u, nil
}
