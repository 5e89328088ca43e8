package plan

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// listKey is one LIST request: a resource in a namespace ("" for cluster-scoped resources).
type listKey struct {
	resource  schema.GroupVersionResource
	namespace string
}

func (k listKey) String() string {
	r := k.resource.Resource
	if k.resource.Group != "" {
		r += "." + k.resource.Group
	}
	if k.namespace == "" {
		return r
	}
	return r + " in namespace " + k.namespace
}

// liveSet is the live objects of every (resource, namespace) a plan needs.
type liveSet struct {
	objects map[string]*unstructured.Unstructured // by ObjectRef.key
	lists   map[listKey]error                     // every list made, and its error
	keyOf   map[string]listKey                    // object key → the list that holds it
}

// get returns the live object of o, nil when it does not exist, or why it is unknown.
func (s *liveSet) get(o object) (*unstructured.Unstructured, error) {
	k := o.ref.key()
	if err := s.lists[s.keyOf[k]]; err != nil {
		return nil, err
	}
	return s.objects[k], nil
}

// fetchLive lists, once each, every (resource, namespace) that holds an object of a release
// that the plan needs to see live: objects of the revision a release would upgrade from,
// objects it would write, and the CRDs of its chart. The number of requests grows with the
// number of distinct kinds and namespaces, not with releases or objects.
func (p *Planner) fetchLive(ctx context.Context, works []*work, par int) *liveSet {
	s := &liveSet{objects: map[string]*unstructured.Unstructured{}, lists: map[listKey]error{}, keyOf: map[string]listKey{}}
	mappings := map[listKey]*meta.RESTMapping{}
	for _, w := range works {
		if w.out.Err != nil {
			continue
		}
		for _, objs := range [][]object{w.base, w.desired, w.crds} {
			for _, o := range objs {
				if o.mapping == nil {
					continue
				}
				k := listKey{resource: o.mapping.Resource}
				if o.mapping.Scope.Name() == meta.RESTScopeNameNamespace {
					k.namespace = o.u.GetNamespace()
				}
				s.lists[k] = nil
				s.keyOf[o.ref.key()] = k
				mappings[k] = o.mapping
			}
		}
	}
	keys := slices.SortedFunc(maps.Keys(mappings), func(a, b listKey) int { return strings.Compare(a.String(), b.String()) })

	items := make([][]unstructured.Unstructured, len(keys))
	errs := make([]error, len(keys))
	parallel(len(keys), par, func(i int) {
		items[i], errs[i] = p.Objects.List(ctx, mappings[keys[i]], keys[i].namespace)
	})
	for i, k := range keys {
		if errs[i] != nil {
			s.lists[k] = listError(k, errs[i])
			continue
		}
		for j := range items[i] {
			u := &items[i][j]
			if u.GetKind() == "" { // lists of the dynamic client carry the kind; be safe
				u.SetGroupVersionKind(mappings[k].GroupVersionKind)
			}
			s.objects[refOf(u).key()] = u
		}
	}
	return s
}

func listError(k listKey, err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("cannot list %s (forbidden): the plan cannot see these objects: %w", k, err)
	}
	return fmt.Errorf("list %s: %w", k, err)
}
