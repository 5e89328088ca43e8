package release

import (
	"maps"
	"reflect"
	"sync"

	"helm.sh/helm/v4/pkg/kube"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/resource"
)

// ObjectKey names one object of a release: its API group, kind, namespace ("" when
// cluster-scoped) and name.
type ObjectKey struct {
	Group, Kind, Namespace, Name string
}

func keyOfInfo(i *resource.Info) ObjectKey {
	gk := i.Mapping.GroupVersionKind.GroupKind()
	return ObjectKey{Group: gk.Group, Kind: gk.Kind, Namespace: i.Namespace, Name: i.Name}
}

// untouchedGets bounds the reads that check, at once, that unchanged objects are still as the
// plan saw them.
const untouchedGets = 16

// untouched is Helm's Kubernetes client with an Update that leaves alone the objects the plan
// found unchanged (Desired.Unchanged): Helm reads and applies every object of a release one
// after the other, two round trips each, though an upgrade usually changes one or two of
// them. An object is left alone only when all of these hold, and applied as Helm would
// otherwise:
//   - the new revision has it as the old one does (Helm's ownership metadata aside);
//   - the plan found the live object without drift from it, at a resourceVersion that it
//     still has (read again, all at once, just before the update);
//   - Helm already owns its fields by server-side apply, and by no client-side update that
//     Helm would move over to server-side apply.
//
// Applying such an object would change nothing.
type untouched struct {
	*kube.Client
	versions map[ObjectKey]string
}

// Update implements kube.Interface.
func (c *untouched) Update(original, target kube.ResourceList, options ...kube.ClientUpdateOption) (*kube.Result, error) {
	var candidates []*resource.Info
	for _, t := range target {
		if _, ok := c.versions[keyOfInfo(t)]; !ok {
			continue
		}
		if o := original.Get(t); o != nil && sameApart(o.Object, t.Object) {
			candidates = append(candidates, t)
		}
	}
	left := make([]bool, len(candidates))
	var wg sync.WaitGroup
	sem := make(chan struct{}, untouchedGets)
	for i, t := range candidates {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			live, err := resource.NewHelper(t.Client, t.Mapping).Get(t.Namespace, t.Name)
			left[i] = err == nil && stillAsPlanned(live, c.versions[keyOfInfo(t)])
		})
	}
	wg.Wait()
	var skipped kube.ResourceList
	for i, t := range candidates {
		if left[i] {
			skipped = append(skipped, t)
		}
	}
	if len(skipped) == 0 {
		return c.Client.Update(original, target, options...)
	}
	res, err := c.Client.Update(original.Difference(skipped), target.Difference(skipped), options...)
	if res != nil {
		res.Updated = append(res.Updated, skipped...)
	}
	return res, err
}

// helmLabels and helmAnnotations are what Helm puts on every object it applies
// (and that the revision's manifest may lack).
var (
	helmLabels      = []string{"app.kubernetes.io/managed-by"}
	helmAnnotations = []string{"meta.helm.sh/release-name", "meta.helm.sh/release-namespace"}
)

// sameApart says whether two objects of a manifest are the same, but for Helm's ownership
// metadata.
func sameApart(a, b any) bool {
	ua, okA := a.(*unstructured.Unstructured)
	ub, okB := b.(*unstructured.Unstructured)
	if !okA || !okB {
		return false
	}
	return reflect.DeepEqual(withoutHelmMetadata(ua), withoutHelmMetadata(ub))
}

func withoutHelmMetadata(u *unstructured.Unstructured) map[string]any {
	obj := maps.Clone(u.Object)
	md, _ := obj["metadata"].(map[string]any)
	md = maps.Clone(md)
	for field, keys := range map[string][]string{"labels": helmLabels, "annotations": helmAnnotations} {
		m, _ := md[field].(map[string]any)
		if m == nil {
			continue
		}
		m = maps.Clone(m)
		for _, k := range keys {
			delete(m, k)
		}
		if len(m) == 0 {
			delete(md, field)
		} else {
			md[field] = m
		}
	}
	if md != nil {
		obj["metadata"] = md
	}
	return obj
}

// stillAsPlanned says whether live is at the resourceVersion the plan saw, and its fields are
// Helm's by server-side apply only.
func stillAsPlanned(live any, version string) bool {
	acc, err := meta.Accessor(live)
	if err != nil || version == "" || acc.GetResourceVersion() != version {
		return false
	}
	applied := false
	for _, mf := range acc.GetManagedFields() {
		if mf.Manager != FieldManager {
			continue
		}
		if mf.Operation != "Apply" {
			return false // Helm would move these fields over to server-side apply
		}
		applied = true
	}
	return applied
}
