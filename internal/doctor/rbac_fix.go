package doctor

import (
	"fmt"
	"slices"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// rbacFix grants, in every namespace (and cluster-wide) where something is missing, all that
// the apply needs there: a Role per namespace and a ClusterRole, each with its binding. The
// roles hold every permission of their scope, not only the missing ones, so that applying
// the file again after another change never takes a permission away.
func rbacFix(s *State, subject rbacv1.Subject, needs, missing []need) *Fix {
	name := "kaji"
	if p := s.Target.Resolved.Project; p != "" {
		name = "kaji-" + p
	}
	var scopes []string
	for _, m := range missing {
		if !slices.Contains(scopes, m.Attr.Namespace) {
			scopes = append(scopes, m.Attr.Namespace)
		}
	}
	var docs []string
	for _, ns := range scopes {
		var inScope []need
		for _, n := range needs {
			if n.Attr.Namespace == ns {
				inScope = append(inScope, n)
			}
		}
		role, binding := rbacPair(name, ns, rulesOf(inScope), subject)
		for _, obj := range []rbacObject{role, binding} {
			text, err := yaml.Marshal(obj)
			if err != nil {
				return &Fix{Summary: "encode RBAC: " + err.Error()}
			}
			docs = append(docs, string(text))
		}
	}
	who := subject.Kind + " " + subject.Name
	return &Fix{
		Summary:  fmt.Sprintf("grant %s what the releases need, as a cluster admin (each role holds all that kaji needs in its scope, the missing permissions included)", who),
		Snippet:  &Snippet{Format: "yaml", File: "kaji-rbac.yaml", Text: strings.Join(docs, "---\n")},
		Commands: []string{"kubectl apply -f kaji-rbac.yaml"},
	}
}

// rbacObject is a Role, ClusterRole or binding with only the fields to write.
type rbacObject struct {
	APIVersion string              `json:"apiVersion"`
	Kind       string              `json:"kind"`
	Metadata   objectMeta          `json:"metadata"`
	Rules      []rbacv1.PolicyRule `json:"rules,omitempty"`
	RoleRef    *rbacv1.RoleRef     `json:"roleRef,omitempty"`
	Subjects   []rbacv1.Subject    `json:"subjects,omitempty"`
}

type objectMeta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

func rbacPair(name, namespace string, rules []rbacv1.PolicyRule, subject rbacv1.Subject) (rbacObject, rbacObject) {
	kind, bindingKind := "Role", "RoleBinding"
	if namespace == "" {
		kind, bindingKind = "ClusterRole", "ClusterRoleBinding"
	}
	api := rbacv1.SchemeGroupVersion.String()
	meta := objectMeta{Name: name, Namespace: namespace}
	return rbacObject{APIVersion: api, Kind: kind, Metadata: meta, Rules: rules},
		rbacObject{APIVersion: api, Kind: bindingKind, Metadata: meta,
			RoleRef:  &rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name},
			Subjects: []rbacv1.Subject{subject}}
}

// rulesOf folds needs into rules: one per API group and set of verbs, resources sorted;
// needs on a named object get rules of their own, with resourceNames.
func rulesOf(needs []need) []rbacv1.PolicyRule {
	type object struct{ group, resource, name string }
	verbs := map[object][]string{}
	var order []object
	for _, n := range needs {
		k := object{n.Attr.Group, n.Attr.Resource, n.Attr.Name}
		if _, ok := verbs[k]; !ok {
			order = append(order, k)
		}
		if !slices.Contains(verbs[k], n.Attr.Verb) {
			verbs[k] = append(verbs[k], n.Attr.Verb)
		}
	}
	var rules []rbacv1.PolicyRule
	for _, k := range order {
		v := slices.Sorted(slices.Values(verbs[k]))
		i := slices.IndexFunc(rules, func(r rbacv1.PolicyRule) bool {
			if r.APIGroups[0] != k.group || !slices.Equal(r.Verbs, v) || (k.name == "") != (len(r.ResourceNames) == 0) {
				return false
			}
			return k.name == "" || slices.Equal(r.Resources, []string{k.resource})
		})
		switch {
		case i < 0:
			r := rbacv1.PolicyRule{APIGroups: []string{k.group}, Resources: []string{k.resource}, Verbs: v}
			if k.name != "" {
				r.ResourceNames = []string{k.name}
			}
			rules = append(rules, r)
		case k.name != "":
			rules[i].ResourceNames = append(rules[i].ResourceNames, k.name)
		default:
			rules[i].Resources = append(rules[i].Resources, k.resource)
		}
	}
	for i := range rules {
		slices.Sort(rules[i].Resources)
		slices.Sort(rules[i].ResourceNames)
	}
	slices.SortStableFunc(rules, func(a, b rbacv1.PolicyRule) int { return strings.Compare(a.APIGroups[0], b.APIGroups[0]) })
	return rules
}

// bindingSubject is who the fix binds: the first group the identity's mapping gives it
// (stable across sessions; for a cluster that is not EKS, the groups the API server
// reports), else the user name the API server reports.
func bindingSubject(s *State, user authnv1.UserInfo) rbacv1.Subject {
	groups := s.mappedGroups
	if s.EKS == nil {
		groups = user.Groups
	}
	for _, g := range groups {
		if !strings.HasPrefix(g, "system:") {
			return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: g}
		}
	}
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user.Username}
}
