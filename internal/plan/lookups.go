package plan

import (
	"encoding/json"

	corev1 "k8s.io/api/core/v1"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/render"
)

// encodeLookups is the value of release.LookupsAnnotation for the calls recorded in l: empty
// when a call failed or answered differently twice, and so describes no render.
func encodeLookups(l *render.Lookups) string {
	calls, ok := l.Calls()
	if !ok {
		return ""
	}
	b, err := json.Marshal(calls)
	if err != nil {
		return ""
	}
	return string(b)
}

// sameLookups reports whether every lookup call recorded (a release.LookupsAnnotation)
// answers now as it did when the revision was rendered: the render would then make the same
// calls, get the same answers and give the same manifest. The calls are made as Helm's render
// makes them. A call that fails, an answer that differs, or nothing recorded mean no.
func (p *Planner) sameLookups(recorded string) bool {
	if recorded == "" || p.Lookup == nil {
		return false
	}
	var calls []render.Lookup
	if err := json.Unmarshal([]byte(recorded), &calls); err != nil {
		return false
	}
	lookup := render.ClusterLookup(p.Lookup)
	for _, c := range calls {
		answer, err := lookup(c.APIVersion, c.Kind, c.Namespace, c.Name)
		if err != nil || c.Digest == "" || render.LookupDigest(answer) != c.Digest {
			return false
		}
	}
	return true
}

// lookupsAsLabel hands the release.LookupsAnnotation of each storage Secret in items to the
// plan through the labels of the release that Helm's driver decodes from it (the driver
// keeps labels and drops annotations). A label of that name that a Secret really carries is
// dropped: only the annotation, which Helm never carries over, is believed.
func lookupsAsLabel(items []corev1.Secret) {
	for i := range items {
		s := &items[i]
		a, annotated := s.Annotations[release.LookupsAnnotation]
		_, labeled := s.Labels[release.LookupsAnnotation]
		if !annotated && !labeled {
			continue
		}
		labels := make(map[string]string, len(s.Labels)+1)
		for k, v := range s.Labels {
			labels[k] = v
		}
		delete(labels, release.LookupsAnnotation)
		if annotated {
			labels[release.LookupsAnnotation] = a
		}
		s.Labels = labels
	}
}
