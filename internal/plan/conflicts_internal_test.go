package plan

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The causes as the API server words them (k8s.io/apimachinery's managedfields conflict.go).
func TestConflictsOf(t *testing.T) {
	err := apierrors.NewApplyConflict([]metav1.StatusCause{
		{Type: metav1.CauseTypeFieldManagerConflict, Field: ".spec.replicas", Message: `conflict with "kube-controller-manager" with subresource "scale" using apps/v1`},
		{Type: metav1.CauseTypeFieldManagerConflict, Field: ".spec.replicas", Message: `conflict with "kubectl" with subresource "scale" using apps/v1 at 2026-12-04T13:55:34Z`},
		{Type: metav1.CauseTypeFieldManagerConflict, Field: `.spec.template.spec.containers[name="app"].image`, Message: `conflict with "kubectl-patch" using apps/v1`},
		{Type: metav1.CauseTypeFieldManagerConflict, Field: ".data.GREETING", Message: `conflict with "helm" using v1`},
		{Type: metav1.CauseTypeFieldManagerConflict, Field: ".metadata.labels.team", Message: `conflict with "team-operator"`},
		{Type: metav1.CauseTypeFieldManagerConflict, Field: ".spec.x", Message: `conflict with "kubectlish"`},
	}, "Apply failed with 6 conflicts")
	want := []Conflict{
		{Path: "spec.replicas", Manager: "kube-controller-manager", Subresource: "scale", Kind: ManagerOther},
		{Path: "spec.replicas", Manager: "kubectl", Subresource: "scale", Kind: ManagerKubectl},
		{Path: `spec.template.spec.containers[name="app"].image`, Manager: "kubectl-patch", Kind: ManagerKubectl},
		{Path: "data.GREETING", Manager: "helm", Kind: ManagerHelm},
		{Path: "metadata.labels.team", Manager: "team-operator", Kind: ManagerOther},
		{Path: "spec.x", Manager: "kubectlish", Kind: ManagerOther},
	}
	if got := conflictsOf(fmt.Errorf("server-side dry run: %w", err)); !reflect.DeepEqual(got, want) {
		t.Errorf("conflictsOf:\n got %+v\nwant %+v", got, want)
	}
	for i, ptr := range []string{"/spec/replicas", "/spec/replicas", "", "/data/GREETING", "/metadata/labels/team", "/spec/x"} {
		if got := want[i].Pointer(); got != ptr {
			t.Errorf("pointer of %s = %q, want %q", want[i].Path, got, ptr)
		}
	}
	if got := conflictsOf(errors.New("conflict")); len(got) != 1 || got[0].Kind != ManagerOther || got[0].Manager != "unknown" {
		t.Errorf("a conflict without causes: %+v, want one of an unknown manager, refused", got)
	}
}
