package awssim

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// bindingPrefix names the bindings BindAccessPolicies makes.
const bindingPrefix = "awssim:"

// BindAccessPolicies makes the RBAC that stands in for EKS's access-policy authorizer on an
// API server: the rules of the aggregated ClusterRoles it binds (which only
// kube-controller-manager would otherwise fill in), a ClusterRoleBinding from each access policy's group to its ClusterRole, and,
// for the namespace-scoped associations of cluster's access entries, a RoleBinding in each
// of those namespaces, which it creates when missing (EKS's authorizer needs no namespace
// to exist; RBAC does). It is idempotent.
func (s *Server) BindAccessPolicies(ctx context.Context, kube kubernetes.Interface, cluster string) error {
	c, err := s.world.clusterByName(cluster)
	if err != nil {
		return err
	}
	groups := s.world.accessPolicyGroups()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		g := groups[name]
		errs = append(errs, aggregate(ctx, kube, g.ClusterRole))
		crb := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: bindingPrefix + name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: g.ClusterRole},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: g.Group}},
		}
		errs = append(errs, apply(crb.Name, func() error {
			_, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
			return err
		}, func() error {
			_, err := kube.RbacV1().ClusterRoleBindings().Update(ctx, crb, metav1.UpdateOptions{})
			return err
		}))
	}
	for _, e := range c.AccessEntries {
		for _, ap := range e.AccessPolicies {
			if ap.AccessScope.Type != "namespace" {
				continue
			}
			name := ap.PolicyARN[strings.LastIndexByte(ap.PolicyARN, '/')+1:]
			g, ok := groups[name]
			if !ok {
				continue
			}
			for _, ns := range ap.AccessScope.Namespaces {
				if err := ensureNamespace(ctx, kube, ns); err != nil {
					errs = append(errs, err)
					continue
				}
				rb := &rbacv1.RoleBinding{
					ObjectMeta: metav1.ObjectMeta{Name: bindingPrefix + name, Namespace: ns},
					RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: g.ClusterRole},
					Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: g.Group + ":" + ns}},
				}
				errs = append(errs, apply(ns+"/"+rb.Name, func() error {
					_, err := kube.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{})
					return err
				}, func() error {
					_, err := kube.RbacV1().RoleBindings(ns).Update(ctx, rb, metav1.UpdateOptions{})
					return err
				}))
			}
		}
	}
	return errors.Join(errs...)
}

// aggregate fills in the rules of an aggregated ClusterRole (admin, edit and view are), as
// kube-controller-manager's clusterrole-aggregation controller would: an API server on its
// own, as in tests, leaves them empty, so that binding them grants nothing. Aggregated roles
// that it selects (edit selects view) are filled in first.
func aggregate(ctx context.Context, kube kubernetes.Interface, name string) error {
	_, err := aggregatedRules(ctx, kube, name, map[string]bool{})
	return err
}

func aggregatedRules(ctx context.Context, kube kubernetes.Interface, name string, seen map[string]bool) ([]rbacv1.PolicyRule, error) {
	roles := kube.RbacV1().ClusterRoles()
	role, err := roles.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("aggregate ClusterRole %s: %w", name, err)
	}
	if role.AggregationRule == nil || len(role.Rules) > 0 || seen[name] {
		return role.Rules, nil
	}
	seen[name] = true
	var rules []rbacv1.PolicyRule
	for _, sel := range role.AggregationRule.ClusterRoleSelectors {
		selector, err := metav1.LabelSelectorAsSelector(&sel)
		if err != nil {
			return nil, fmt.Errorf("aggregate ClusterRole %s: %w", name, err)
		}
		list, err := roles.List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
		if err != nil {
			return nil, fmt.Errorf("aggregate ClusterRole %s: %w", name, err)
		}
		for _, r := range list.Items {
			if r.Name == name {
				continue
			}
			sub, err := aggregatedRules(ctx, kube, r.Name, seen)
			if err != nil {
				return nil, err
			}
			rules = append(rules, sub...)
		}
	}
	role.Rules = rules
	if _, err := roles.Update(ctx, role, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("aggregate ClusterRole %s: %w", name, err)
	}
	return rules, nil
}

// apply creates an object, updating it when it exists.
func apply(name string, create, update func() error) error {
	err := create()
	if apierrors.IsAlreadyExists(err) {
		err = update()
	}
	if err != nil {
		return fmt.Errorf("bind access policy %s: %w", name, err)
	}
	return nil
}

func ensureNamespace(ctx context.Context, kube kubernetes.Interface, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	_, err := kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s of an access scope: %w", name, err)
	}
	return nil
}
