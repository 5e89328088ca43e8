package cluster

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ID returns what tells this cluster apart from any other behind the same address: the uid
// of its kube-system namespace, which the API server gives when the cluster is made and
// never changes. Two local clusters on 127.0.0.1:6443, or a cluster made again at the same
// endpoint, have different ones. It is empty, with no error, when kaji may not read the
// namespace or there is none.
func (c *Conn) ID(ctx context.Context) (string, error) {
	cs, err := c.Clientset()
	if err != nil {
		return "", err
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, metav1.NamespaceSystem, metav1.GetOptions{})
	switch {
	case apierrors.IsForbidden(err) || apierrors.IsNotFound(err) || apierrors.IsUnauthorized(err):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("read the kube-system namespace, which identifies the cluster: %w", err)
	}
	return string(ns.UID), nil
}
