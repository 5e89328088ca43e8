package release

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func configMap(labels, annotations map[string]any, data string) *unstructured.Unstructured {
	md := map[string]any{"name": "web", "namespace": "shop"}
	if labels != nil {
		md["labels"] = labels
	}
	if annotations != nil {
		md["annotations"] = annotations
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": map[string]any{"GREETING": data},
	}}
}

func TestSameApartFromHelmMetadata(t *testing.T) {
	helmLabels := map[string]any{"app.kubernetes.io/managed-by": "Helm"}
	helmAnnotations := map[string]any{"meta.helm.sh/release-name": "web", "meta.helm.sh/release-namespace": "shop"}
	bare := configMap(nil, nil, "hello")
	cases := []struct {
		name string
		b    *unstructured.Unstructured
		want bool
	}{
		{"the same", configMap(nil, nil, "hello"), true},
		{"with Helm's label and annotations", configMap(helmLabels, helmAnnotations, "hello"), true},
		{"other data", configMap(helmLabels, helmAnnotations, "changed"), false},
		{"another label", configMap(map[string]any{"app.kubernetes.io/managed-by": "Helm", "team": "a"}, nil, "hello"), false},
		{"another annotation", configMap(nil, map[string]any{"note": "x"}, "hello"), false},
	}
	for _, c := range cases {
		if got := sameApart(bare, c.b); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if got := sameApart(c.b, bare); got != c.want {
			t.Errorf("%s, the other way: %v, want %v", c.name, got, c.want)
		}
	}
	if _, ok := bare.Object["metadata"].(map[string]any)["labels"]; ok {
		t.Error("the comparison changed its argument")
	}
	with := configMap(helmLabels, helmAnnotations, "hello")
	sameApart(bare, with)
	if len(with.GetLabels()) != 1 || len(with.GetAnnotations()) != 2 {
		t.Errorf("the comparison changed its argument: %v %v", with.GetLabels(), with.GetAnnotations())
	}
}

func TestStillAsPlanned(t *testing.T) {
	entry := func(manager string, op metav1.ManagedFieldsOperationType) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: manager, Operation: op}
	}
	cases := []struct {
		name    string
		version string
		fields  []metav1.ManagedFieldsEntry
		want    bool
	}{
		{"helm's by server-side apply, at the version planned", "7", []metav1.ManagedFieldsEntry{entry("helm", metav1.ManagedFieldsOperationApply), entry("kube-controller-manager", metav1.ManagedFieldsOperationUpdate)}, true},
		{"written since the plan", "6", []metav1.ManagedFieldsEntry{entry("helm", metav1.ManagedFieldsOperationApply)}, false},
		{"no version planned", "", []metav1.ManagedFieldsEntry{entry("helm", metav1.ManagedFieldsOperationApply)}, false},
		{"helm's by client-side update (Helm 3), which the upgrade moves over", "7", []metav1.ManagedFieldsEntry{entry("helm", metav1.ManagedFieldsOperationUpdate)}, false},
		{"helm's both ways", "7", []metav1.ManagedFieldsEntry{entry("helm", metav1.ManagedFieldsOperationApply), entry("helm", metav1.ManagedFieldsOperationUpdate)}, false},
		{"not helm's", "7", []metav1.ManagedFieldsEntry{entry("kubectl", metav1.ManagedFieldsOperationApply)}, false},
	}
	for _, c := range cases {
		live := configMap(nil, nil, "hello")
		live.SetResourceVersion("7")
		live.SetManagedFields(c.fields)
		if got := stillAsPlanned(live, c.version); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
