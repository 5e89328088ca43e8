package plan

import (
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// namespaceCheck is the list of the cluster's namespaces that a plan makes when a release
// has no revision in Helm's storage, so that its namespace may not exist yet. In such a
// namespace a list finds nothing, at the cost of a round trip, and a dry run fails only
// after the API server has waited 50 ms for the namespace to show up (kube-apiserver's
// NamespaceLifecycle admission). A plan of 100 releases to install into new namespaces spent
// seconds on those; one list of namespaces tells the same for all of them.
type namespaceCheck struct {
	done chan struct{}
	// names are the namespaces that exist; nil when they were not listed: nothing to ask,
	// or the list failed (listing namespaces may not be allowed), and then every list and
	// dry run is made and the API server tells.
	names map[string]bool
}

// checkNamespaces starts the list of namespaces, beside the renders, when a release of works
// has no revision.
func (p *Planner) checkNamespaces(ctx context.Context, works []*work) *namespaceCheck {
	c := &namespaceCheck{done: make(chan struct{})}
	if !slices.ContainsFunc(works, func(w *work) bool { return w.hist.latest == nil }) {
		close(c.done)
		return c
	}
	go func() {
		defer close(c.done)
		m, err := p.Discovery.Mapping(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"})
		if err != nil {
			return
		}
		list, err := p.Objects.List(ctx, m, "", "")
		if err != nil {
			return
		}
		c.names = make(map[string]bool, len(list))
		for _, ns := range list {
			c.names[ns.GetName()] = true
		}
	}()
	return c
}

// absent waits for the list, and returns the namespaces of the objects of the releases
// without a revision that do not exist: nil when that is not known. A release with a revision
// has its records in its namespace; the objects it puts elsewhere are listed and dry-run.
func (c *namespaceCheck) absent(works []*work) map[string]bool {
	<-c.done
	if c.names == nil {
		return nil
	}
	out := map[string]bool{}
	for _, w := range works {
		if w.hist.latest != nil || w.out.Err != nil {
			continue
		}
		for _, o := range w.desired {
			if ns := o.u.GetNamespace(); o.mapping != nil && o.mapping.Scope.Name() == meta.RESTScopeNameNamespace && !c.names[ns] {
				out[ns] = true
			}
		}
	}
	return out
}
