package release

import (
	"context"
	"fmt"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
)

// discovered waits until discovery lists the resource of every served version of crds. The
// API server adds a CRD to discovery a moment after the CRD is Established, in its own
// controller: a kind mapped in between would be "no matches for kind".
func (m *Manager) discovered(ctx context.Context, crds []*unstructured.Unstructured, timeout time.Duration) error {
	dc, err := discovery.NewDiscoveryClientForConfig(m.conn.RESTConfig())
	if err != nil {
		return fmt.Errorf("discovery client: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, crd := range crds {
		group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
		plural, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "plural")
		versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
		for _, v := range versions {
			v, ok := v.(map[string]any)
			if !ok || v["served"] != true {
				continue
			}
			name, _ := v["name"].(string)
			gv := group + "/" + name
			err := wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
				list, err := dc.ServerResourcesForGroupVersion(gv)
				if apierrors.IsNotFound(err) {
					return false, nil // not listed yet
				}
				if err != nil {
					return false, err
				}
				return slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == plural }), nil
			})
			if err != nil {
				return fmt.Errorf("CRD %s is established, but discovery does not list %s in %s: %w", crd.GetName(), plural, gv, err)
			}
		}
	}
	return nil
}
