package doctor

import (
	"context"
	"fmt"
	"strings"

	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"kaji.dev/kaji/internal/lock"
)

// need is one permission the apply needs.
type need struct {
	Attr authzv1.ResourceAttributes
	// Why names the release and object that need it.
	Why string
}

func (n need) String() string {
	r := n.Attr.Resource
	if n.Attr.Group != "" {
		r += "." + n.Attr.Group
	}
	if n.Attr.Name != "" {
		r += " " + n.Attr.Name
	}
	if n.Attr.Namespace == "" {
		return fmt.Sprintf("%s %s (cluster-wide)", n.Attr.Verb, r)
	}
	return fmt.Sprintf("%s %s in %s", n.Attr.Verb, r, n.Attr.Namespace)
}

// Verbs kaji uses: on Helm's release secrets, and on the objects it applies (list is the
// plan's: it reads live objects with lists).
var (
	secretVerbs = []string{"get", "list", "create", "update", "delete"}
	objectVerbs = []string{"get", "list", "create", "patch", "delete"}
	leaseVerbs  = []string{"get", "create", "update"}
)

// rbacCheck asks the API server, with SelfSubjectAccessReviews, for every permission the
// apply needs: Helm's release secrets in each namespace, namespace creation where
// createNamespace is set, and each kind the charts render.
func rbacCheck(ctx context.Context, s *State) Finding {
	if s.Kube == nil {
		return skipped("needs a connection to the API server: " + kubeProblem(s))
	}
	user, err := s.whoAmI(ctx)
	if err != nil {
		return skipped("needs an identity the API server accepts (see who-am-i)")
	}
	needs, notes := permissionsNeeded(ctx, s)
	var missing []need
	for _, n := range needs {
		st, err := s.Kube.Access.Can(ctx, n.Attr)
		if err != nil {
			return Finding{Status: Unknown, Summary: "SelfSubjectAccessReview: " + err.Error(), Evidence: notes}
		}
		if !st.Allowed {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		f := ok(fmt.Sprintf("all %d permissions the releases need are granted", len(needs)), notes...)
		if len(notes) > 0 {
			f.Status = Warn
		}
		return f
	}
	evidence := make([]string, 0, len(missing)+len(notes))
	for _, m := range missing {
		evidence = append(evidence, fmt.Sprintf("cannot %s (%s)", m, m.Why))
	}
	evidence = append(evidence, notes...)
	return Finding{Status: Fail, Summary: fmt.Sprintf("%d of %d permissions missing: %s", len(missing), len(needs), firstFew(missing, 3)),
		Evidence: evidence, Fix: rbacFix(s, bindingSubject(s, user), needs, missing)}
}

// permissionsNeeded lists what the apply needs, each once, in release order; notes say what
// could not be worked out.
func permissionsNeeded(ctx context.Context, s *State) ([]need, []string) {
	var out []need
	var notes []string
	seen := map[authzv1.ResourceAttributes]bool{}
	add := func(attr authzv1.ResourceAttributes, why string) {
		if !seen[attr] {
			seen[attr] = true
			out = append(out, need{Attr: attr, Why: why})
		}
	}
	lockNS, lease := s.Target.lockNamespace(), lock.Name(s.Target.Resolved.Project)
	for _, v := range leaseVerbs {
		attr := authzv1.ResourceAttributes{Namespace: lockNS, Verb: v, Group: "coordination.k8s.io", Resource: "leases"}
		if v != "create" {
			attr.Name = lease
		}
		add(attr, fmt.Sprintf("apply takes the project lock, Lease %s/%s", lockNS, lease))
	}
	for _, ro := range s.releaseObjects(ctx) {
		r := ro.Release
		for _, v := range secretVerbs {
			add(authzv1.ResourceAttributes{Namespace: r.Namespace, Verb: v, Resource: "secrets"}, "Helm keeps release "+r.Name+" in secrets")
		}
		if r.CreateNamespace {
			why := fmt.Sprintf("release %s sets createNamespace: Helm applies namespace %s with server-side apply, even when it exists", r.Name, r.Namespace)
			add(authzv1.ResourceAttributes{Verb: "create", Resource: "namespaces"}, why)
			add(authzv1.ResourceAttributes{Verb: "patch", Resource: "namespaces", Name: r.Namespace}, why)
		}
		if ro.Err != nil {
			notes = append(notes, fmt.Sprintf("release %s: cannot render its chart, so its kinds are not checked: %v", r.Name, ro.Err))
			continue
		}
		crds := map[string]bool{}
		for _, o := range ro.Objects {
			if o.Kind == "CustomResourceDefinition" {
				crds[o.Name] = true
			}
		}
		for _, o := range ro.Objects {
			gv, err := schema.ParseGroupVersion(o.APIVersion)
			if err != nil {
				notes = append(notes, fmt.Sprintf("release %s: %s %s has a malformed apiVersion %q", r.Name, o.Kind, o.Name, o.APIVersion))
				continue
			}
			m, err := s.Kube.Kinds.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: o.Kind}, gv.Version)
			if err != nil {
				if !crdInChart(crds, gv.Group) {
					notes = append(notes, fmt.Sprintf("release %s: the cluster does not serve %s %s (install its CRD first)", r.Name, o.APIVersion, o.Kind))
				}
				continue
			}
			ns := ""
			if m.Scope.Name() == meta.RESTScopeNameNamespace {
				ns = o.Namespace
				if ns == "" {
					ns = r.Namespace
				}
			}
			for _, v := range objectVerbs {
				add(authzv1.ResourceAttributes{Namespace: ns, Verb: v, Group: gv.Group, Resource: m.Resource.Resource},
					fmt.Sprintf("release %s applies %s %s", r.Name, o.Kind, o.Name))
			}
		}
	}
	return out, notes
}

// crdInChart says whether the chart brings a CRD of group, whose kinds the cluster will
// serve once Helm installs it.
func crdInChart(crds map[string]bool, group string) bool {
	for name := range crds {
		if strings.HasSuffix(name, "."+group) {
			return true
		}
	}
	return false
}

func firstFew(ns []need, n int) string {
	parts := make([]string, 0, n)
	for i, x := range ns {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(ns)-n))
			break
		}
		parts = append(parts, x.String())
	}
	return strings.Join(parts, ", ")
}
