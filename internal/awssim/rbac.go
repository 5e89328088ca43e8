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
// API server: a ClusterRoleBinding from each access policy's group to its ClusterRole, and,
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
