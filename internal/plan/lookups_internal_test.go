package plan

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"kaji.dev/kaji/internal/release"
)

// Only the annotation, which Helm never carries to another revision, reaches the plan as the
// lookups of a revision: a label of the same name, which Helm does carry over, is dropped.
func TestLookupsComeFromTheAnnotationAlone(t *testing.T) {
	annotated := record("ns", "a", "1", "deployed")
	annotated.Annotations = map[string]string{release.LookupsAnnotation: "[]"}
	labeled := record("ns", "b", "1", "deployed")
	labeled.Labels[release.LookupsAnnotation] = "[]"
	both := record("ns", "c", "1", "deployed")
	both.Labels[release.LookupsAnnotation] = "from a label"
	both.Annotations = map[string]string{release.LookupsAnnotation: "from the annotation"}
	items := []corev1.Secret{annotated, labeled, both, record("ns", "d", "1", "deployed")}
	sharedLabels := labeled.Labels

	lookupsAsLabel(items)
	for i, want := range []string{"[]", "", "from the annotation", ""} {
		got, ok := items[i].Labels[release.LookupsAnnotation]
		if got != want || ok != (want != "") {
			t.Errorf("record %s: lookups %q (present %v), want %q", items[i].Labels["name"], got, ok, want)
		}
	}
	if _, ok := sharedLabels[release.LookupsAnnotation]; !ok {
		t.Errorf("lookupsAsLabel changed the labels map it was given instead of a copy")
	}
}
