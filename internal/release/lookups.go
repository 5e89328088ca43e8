package release

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/release/common"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
)

// LookupsAnnotation is the annotation of a revision's storage Secret that lists the calls of
// the lookup function made by the render it was written from, each with a digest of its
// answer (Desired.Lookups). A plan that finds the same inputs (InputsLabel) and the same
// answers takes the revision's manifest without rendering again. Helm writes each revision
// from its labels alone, so the annotation never outlives the revision it describes.
const LookupsAnnotation = "kaji.dev/lookups"

// annotateRevision makes cfg's storage write d.Lookups onto the Secret of the revision that
// d writes, the one labeled with d.Inputs, as it is created and as it is updated (Helm
// rewrites it whole when the operation ends).
func (m *Manager) annotateRevision(cfg *action.Configuration, namespace string, d Desired) error {
	if d.Lookups == "" || d.Inputs == "" {
		return nil
	}
	cs, err := m.conn.Clientset()
	if err != nil {
		return err
	}
	drv := driver.NewSecrets(annotatedSecrets{cs.CoreV1().Secrets(namespace), d.Inputs, d.Lookups})
	drv.SetLogger(cfg.Logger().Handler())
	cfg.Releases = storage.Init(drv)
	return nil
}

// annotatedSecrets adds the annotation LookupsAnnotation=lookups to the Secrets it creates or
// updates that carry InputsLabel=inputs.
type annotatedSecrets struct {
	typedcorev1.SecretInterface
	inputs, lookups string
}

func (s annotatedSecrets) annotate(obj *corev1.Secret) {
	if obj == nil || obj.Labels[InputsLabel] != s.inputs {
		return
	}
	obj.Annotations = maps.Clone(obj.Annotations)
	if obj.Annotations == nil {
		obj.Annotations = map[string]string{}
	}
	obj.Annotations[LookupsAnnotation] = s.lookups
}

func (s annotatedSecrets) Create(ctx context.Context, obj *corev1.Secret, opts metav1.CreateOptions) (*corev1.Secret, error) {
	s.annotate(obj)
	return s.SecretInterface.Create(ctx, obj, opts)
}

func (s annotatedSecrets) Update(ctx context.Context, obj *corev1.Secret, opts metav1.UpdateOptions) (*corev1.Secret, error) {
	s.annotate(obj)
	return s.SecretInterface.Update(ctx, obj, opts)
}

// RecordLookups writes lookups as the LookupsAnnotation of revision of release name in
// namespace, without a new revision: the plan rendered the release, found it in sync with that
// revision and made these lookup calls (plan.Release.RecordLookups). The revision must still be
// deployed, the project's, and labeled with inputs (its InputsLabel); the update carries the
// Secret's resourceVersion, so a concurrent writer makes it fail rather than be undone.
func (m *Manager) RecordLookups(ctx context.Context, name, namespace string, revision int, inputs, lookups string) error {
	if inputs == "" || lookups == "" {
		return errors.New("record lookups: nothing to record")
	}
	cs, err := m.conn.Clientset()
	if err != nil {
		return err
	}
	secrets := cs.CoreV1().Secrets(namespace)
	sec, err := secrets.Get(ctx, fmt.Sprintf("sh.helm.release.v1.%s.v%d", name, revision), metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("record lookups of %s/%s: %w", namespace, name, err)
	}
	if sec.Labels["status"] != common.StatusDeployed.String() || sec.Labels[ProjectLabel] != m.opts.Project || sec.Labels[InputsLabel] != inputs {
		return fmt.Errorf("record lookups of %s/%s: revision %d changed since the plan", namespace, name, revision)
	}
	if sec.Annotations[LookupsAnnotation] == lookups {
		return nil
	}
	sec.Annotations = maps.Clone(sec.Annotations)
	if sec.Annotations == nil {
		sec.Annotations = map[string]string{}
	}
	sec.Annotations[LookupsAnnotation] = lookups
	if _, err := secrets.Update(ctx, sec, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
		return fmt.Errorf("record lookups of %s/%s: %w", namespace, name, err)
	}
	return nil
}
