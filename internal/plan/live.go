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

// ManagedSelector selects the objects Helm wrote: install, upgrade and rollback label every
// object they apply with it.
const ManagedSelector = "app.kubernetes.io/managed-by=Helm"

// listKey is one LIST request: a resource in a namespace ("" for every namespace, and for
// cluster-scoped resources), with a label selector or none.
type listKey struct {
	resource  schema.GroupVersionResource
	namespace string
	selector  string
}

func (k listKey) String() string {
	r := k.resource.Resource
	if k.resource.Group != "" {
		r += "." + k.resource.Group
	}
	if k.selector != "" {
		r += " labeled " + k.selector
	}
	if k.namespace == "" {
		return r
	}
	return r + " in namespace " + k.namespace
}

// liveSet is the live objects a plan needs.
type liveSet struct {
	objects map[string]*unstructured.Unstructured // by ObjectRef.key
	lists   map[listKey]error                     // every list made, and its error
	keyOf   map[string]listKey                    // object key → the list that decides it
	// absent are namespaces known not to exist (namespaceCheck): nothing is listed there,
	// and their objects are known to be missing.
	absent map[string]bool
}

// get returns the live object of o, nil when it does not exist, or why it is unknown.
func (s *liveSet) get(o object) (*unstructured.Unstructured, error) {
	k := o.ref.key()
	if err := s.lists[s.keyOf[k]]; err != nil {
		return nil, err
	}
	return s.objects[k], nil
}

// wanted is what a plan needs to see of one resource.
type wanted struct {
	mapping *meta.RESTMapping
	keys    map[string]string // object key → its namespace ("" when cluster-scoped)
}

// fetchLive reads every live object the plan needs to see: objects of the revision a release
// would upgrade from, objects it would write, and the CRDs of its chart. It lists, never gets:
//   - a resource needed in one namespace, or cluster-scoped, is listed there;
//   - a resource needed in several namespaces is listed once across all of them, labeled as
//     Helm's (ManagedSelector); the namespaces where a needed object was not among them (a new
//     release, a deleted object, a label removed by hand) are then listed whole, as are all
//     of them when the cluster-wide list is forbidden.
//
// So a plan of releases that exist costs one request per resource kind, however many releases
// and namespaces it spans. Nothing is listed in the absent namespaces, which do not exist.
func (p *Planner) fetchLive(ctx context.Context, works []*work, absent map[string]bool, par int) *liveSet {
	s := &liveSet{objects: map[string]*unstructured.Unstructured{}, lists: map[listKey]error{}, keyOf: map[string]listKey{}, absent: absent}
	need := map[schema.GroupVersionResource]*wanted{}
	for _, w := range works {
		if w.out.Err != nil {
			continue
		}
		for _, objs := range [][]object{w.base, w.desired, w.crds} {
			for _, o := range objs {
				if o.mapping == nil {
					continue
				}
				ns := ""
				if o.mapping.Scope.Name() == meta.RESTScopeNameNamespace {
					ns = o.u.GetNamespace()
				}
				if absent[ns] {
					continue // missing, with its namespace
				}
				n := need[o.mapping.Resource]
				if n == nil {
					n = &wanted{mapping: o.mapping, keys: map[string]string{}}
					need[o.mapping.Resource] = n
				}
				n.keys[o.ref.key()] = ns
			}
		}
	}

	// First round: one list per resource, or per namespace of a resource.
	first := map[listKey]*meta.RESTMapping{}
	for res, n := range need {
		namespaces := map[string]bool{}
		for _, ns := range n.keys {
			namespaces[ns] = true
		}
		wide := len(namespaces) > 1
		for key, ns := range n.keys {
			k := listKey{resource: res, namespace: ns}
			if wide {
				k = listKey{resource: res, selector: ManagedSelector}
			}
			first[k] = n.mapping
			s.keyOf[key] = k
		}
	}
	s.list(ctx, p.Objects, first, par)

	// Second round: the namespaces that the labeled lists cannot answer for.
	second := map[listKey]*meta.RESTMapping{}
	for res, n := range need {
		wideKey := listKey{resource: res, selector: ManagedSelector}
		err, listed := s.lists[wideKey]
		if !listed || (err != nil && !apierrors.IsForbidden(err)) {
			continue
		}
		for key, ns := range n.keys {
			if err == nil && s.objects[key] != nil {
				continue
			}
			k := listKey{resource: res, namespace: ns}
			second[k] = n.mapping
			s.keyOf[key] = k
		}
	}
	s.list(ctx, p.Objects, second, par)
	return s
}

// list makes the lists of keys at most par at once, and records their objects and errors.
func (s *liveSet) list(ctx context.Context, objects Objects, keys map[listKey]*meta.RESTMapping, par int) {
	lists := slices.SortedFunc(maps.Keys(keys), func(a, b listKey) int { return strings.Compare(a.String(), b.String()) })
	items := make([][]unstructured.Unstructured, len(lists))
	errs := make([]error, len(lists))
	parallel(len(lists), par, func(i int) {
		k := lists[i]
		items[i], errs[i] = objects.List(ctx, keys[k], k.namespace, k.selector)
	})
	for i, k := range lists {
		s.lists[k] = nil
		if errs[i] != nil {
			s.lists[k] = listError(k, errs[i])
			continue
		}
		for j := range items[i] {
			u := &items[i][j]
			if u.GetKind() == "" { // lists of the dynamic client carry the kind; be safe
				u.SetGroupVersionKind(keys[k].GroupVersionKind)
			}
			s.objects[refOf(u).key()] = u
		}
	}
}

func listError(k listKey, err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("cannot list %s (forbidden): the plan cannot see these objects: %w", k, err)
	}
	return fmt.Errorf("list %s: %w", k, err)
}
