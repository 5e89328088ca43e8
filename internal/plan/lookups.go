package plan

import (
	"encoding/json"
	"slices"
	"sync"

	"helm.sh/helm/v4/pkg/release/common"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/render"
)

// encodeLookups is the value of release.LookupsAnnotation for the calls recorded in l while
// rendering desired: empty when a call failed or answered differently twice, and so describes
// no render, and when a call found nothing where the release creates that object (a chart
// that keeps a generated password in a Secret of its own, say): the answer changes as soon as
// apply writes the release, and checking it again would only delay the render.
func encodeLookups(l *render.Lookups, desired []object) string {
	calls, ok := l.Calls()
	if !ok {
		return ""
	}
	for _, c := range calls {
		if c.Digest == notFound() && createsLookedUp(desired, c) {
			return ""
		}
	}
	b, err := json.Marshal(calls)
	if err != nil {
		return ""
	}
	return string(b)
}

// notFound is the digest of the lookup function's answer when there is no such object.
var notFound = sync.OnceValue(func() string { return render.LookupDigest(map[string]any{}) })

// createsLookedUp reports whether desired holds the object that the lookup call c names.
func createsLookedUp(desired []object, c render.Lookup) bool {
	gk := schema.FromAPIVersionAndKind(c.APIVersion, c.Kind).GroupKind()
	for _, o := range desired {
		if o.ref.Group == gk.Group && o.ref.Kind == gk.Kind && o.ref.Name == c.Name && (c.Namespace == "" || o.ref.Namespace == c.Namespace) {
			return true
		}
	}
	return false
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
	same := make([]bool, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls { // at once: each is a round trip or two
		wg.Go(func() {
			answer, err := lookup(c.APIVersion, c.Kind, c.Namespace, c.Name)
			same[i] = err == nil && c.Digest != "" && render.LookupDigest(answer) == c.Digest
		})
	}
	wg.Wait()
	return !slices.Contains(same, false)
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

// lookupsToRecord reports whether the lookups of w's render describe its latest revision,
// which records other ones or none (Release.RecordLookups): the plan rendered the chart, found
// the release in sync, and the revision, deployed and the project's, was written from the same
// inputs.
func (w *work) lookupsToRecord() bool {
	latest := w.hist.latest
	if !w.rendered || w.stored || !w.callsLookup || w.out.Lookups == "" || w.recover ||
		w.out.State != StateInSync || w.out.Action != ActionNone || latest == nil ||
		statusOf(latest) != common.StatusDeployed || w.hist.base() != latest {
		return false
	}
	want := InputsLabel(w.out.Inputs, latest.Version)
	return want != "" && latest.Labels[release.InputsLabel] == want && latest.Labels[release.LookupsAnnotation] != w.out.Lookups
}
