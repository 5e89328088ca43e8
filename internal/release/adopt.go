package release

import (
	"context"
	"fmt"
	"maps"

	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Adopted means the release was taken over without a new revision: its latest revision was
// labelled as the project's.
const Adopted Action = "adopted"

// ChangedError says that a release is no longer what the plan saw, so apply did not adopt it.
type ChangedError struct {
	Name, Namespace string
	// Planned is the revision the plan saw; Latest and Status are what storage holds now.
	Planned, Latest int
	Status          string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("release %s/%s changed since the plan (revision %d planned, now revision %d, %s): it was not adopted; run kaji apply again to plan it anew",
		e.Namespace, e.Name, e.Planned, e.Latest, e.Status)
}

// Adopt takes a release over without a new revision: it labels revision, which must be the
// release's latest and deployed, and still owned by owner (the kaji.dev/project label the plan
// saw, empty when helm made it), as the project's (ProjectLabel) on its storage Secret, and
// changes nothing else. From then on the release is the project's for
// every reader of the label: plan, uninstall, and the list of the project's releases. A
// release that is already the project's is left as it is. A latest revision other than
// revision, not deployed, or owned by someone else than owner is a *ChangedError.
func (m *Manager) Adopt(ctx context.Context, name, namespace string, revision int, owner string) (Result, error) {
	cfg, err := m.config(namespace)
	if err != nil {
		return Result{}, err
	}
	last, err := m.last(cfg, name)
	if err != nil {
		return Result{}, err
	}
	if last == nil {
		return Result{}, &ChangedError{Name: name, Namespace: namespace, Planned: revision, Status: "gone"}
	}
	if last.Version != revision || last.Info == nil || last.Info.Status != common.StatusDeployed {
		status := common.StatusUnknown
		if last.Info != nil {
			status = last.Info.Status
		}
		return Result{}, &ChangedError{Name: name, Namespace: namespace, Planned: revision, Latest: last.Version, Status: status.String()}
	}
	res := resultOf(last, Adopted)
	if last.Labels[ProjectLabel] == m.opts.Project {
		return res, nil
	}
	if err := m.label(ctx, last, owner); err != nil {
		return Result{}, fmt.Errorf("adopt %s/%s: label revision %d as project %s's: %w", namespace, name, revision, m.opts.Project, err)
	}
	return res, nil
}

// label adds the project's label to the storage Secret of revision last, which the plan saw
// owned by owner, which Helm's storage
// reads the release's labels from. The update carries the Secret's resourceVersion and checks
// that its status and owner are still those of last, so that a concurrent writer (a helm
// upgrade superseding it, another project adopting it) makes it fail instead of being undone.
func (m *Manager) label(ctx context.Context, last *rspb.Release, owner string) error {
	cs, err := m.conn.Clientset()
	if err != nil {
		return err
	}
	secrets := cs.CoreV1().Secrets(last.Namespace)
	key := fmt.Sprintf("sh.helm.release.v1.%s.v%d", last.Name, last.Version)
	sec, err := secrets.Get(ctx, key, metav1.GetOptions{})
	if err != nil {
		return err
	}
	if st := sec.Labels["status"]; st != common.StatusDeployed.String() || sec.Labels[ProjectLabel] != owner {
		return &ChangedError{Name: last.Name, Namespace: last.Namespace, Planned: last.Version, Latest: last.Version,
			Status: fmt.Sprintf("%s, owner %q", st, sec.Labels[ProjectLabel])}
	}
	labels := maps.Clone(sec.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[ProjectLabel] = m.opts.Project
	sec.Labels = labels
	if _, err := secrets.Update(ctx, sec, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
		if apierrors.IsConflict(err) {
			return &ChangedError{Name: last.Name, Namespace: last.Namespace, Planned: last.Version, Latest: last.Version, Status: "changed while being adopted"}
		}
		return err
	}
	return nil
}
