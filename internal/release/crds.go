package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"kaji.dev/kaji/internal/spec"
)

// CRDResource is the API resource of CustomResourceDefinitions.
var CRDResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// ChartCRDs parses the CRDs of the chart's crds/ directories (its subcharts' too), in the
// order Helm installs them. Anything else in crds/ is an error.
func ChartCRDs(ch *chartv2.Chart) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, f := range ch.CRDObjects() {
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(f.File.Data), 4096)
		for {
			var m map[string]any
			err := dec.Decode(&m)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Filename, err)
			}
			if len(m) == 0 {
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			if u.GroupVersionKind().Group == "kustomize.config.k8s.io" {
				continue // a kustomization.yaml for `kubectl apply -k`, as aws-load-balancer-controller's
			}
			if gk := u.GroupVersionKind().GroupKind(); gk.Group != CRDResource.Group || gk.Kind != "CustomResourceDefinition" {
				return nil, fmt.Errorf("%s holds a %s, not a CustomResourceDefinition: move it to templates/", f.Filename, u.GetKind())
			}
			out = append(out, u)
		}
	}
	return out, nil
}

func (d Desired) crdMode() spec.CRDMode {
	if d.CRDs == "" {
		return spec.DefaultCRDMode
	}
	return d.CRDs
}

// applyCRDs creates or upgrades the CRDs of the chart's crds/ with server-side apply, as Helm
// applies its own objects (field manager helm, force), once each passes CheckCRD (unless
// d.ForceCRDs). It waits until they are established and listed by discovery, then forgets
// what discovery knew, so that the release's own objects can be of their kinds. It returns
// their names.
func (m *Manager) applyCRDs(ctx context.Context, d Desired) ([]string, error) {
	crds, err := ChartCRDs(d.Chart)
	if err != nil || len(crds) == 0 {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(m.conn.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	client := dyn.Resource(CRDResource)
	owner := CRDOwner{Release: d.Name, Namespace: d.Namespace, Project: m.opts.Project}
	// Every check first: a refused CRD leaves the others untouched too.
	for _, crd := range crds {
		live, err := client.Get(ctx, crd.GetName(), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			live = nil
		case err != nil:
			return nil, fmt.Errorf("read CRD %s: %w", crd.GetName(), err)
		}
		if !d.ForceCRDs {
			if err := CheckCRD(live, crd, owner); err != nil {
				return nil, err
			}
		}
	}
	names := make([]string, 0, len(crds))
	for _, crd := range crds {
		crd = crd.DeepCopy()
		owner.Stamp(crd)
		data, err := json.Marshal(crd.Object)
		if err != nil {
			return nil, fmt.Errorf("CRD %s: %w", crd.GetName(), err)
		}
		force := true
		if _, err := client.Patch(ctx, crd.GetName(), types.ApplyPatchType, data,
			metav1.PatchOptions{FieldManager: FieldManager, Force: &force}); err != nil {
			return nil, fmt.Errorf("apply CRD %s of the chart's crds/: %w", crd.GetName(), err)
		}
		names = append(names, crd.GetName())
	}
	for _, name := range names {
		if err := established(ctx, client, name, m.timeout(d.Timeout)); err != nil {
			return nil, err
		}
	}
	if err := m.discovered(ctx, crds, m.timeout(d.Timeout)); err != nil {
		return nil, err
	}
	m.forgetDiscovery(d.Namespace)
	return names, nil
}

// established waits until the API server serves the CRD called name.
func established(ctx context.Context, client dynamic.NamespaceableResourceInterface, name string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = sel
			return client.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = sel
			return client.Watch(ctx, o)
		},
	}
	_, err := watchtools.UntilWithSync(ctx, lw, &unstructured.Unstructured{}, nil, func(e watch.Event) (bool, error) {
		u, ok := e.Object.(*unstructured.Unstructured)
		if !ok {
			return false, nil
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			if c, ok := c.(map[string]any); ok && c["type"] == "Established" && c["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("CRD %s was applied but is not established: %w", name, err)
	}
	return nil
}

// forgetDiscovery drops what discovery and the REST mapper knew, as Helm's install does after
// it installs crds/, so that kinds the CRDs just added can be mapped.
func (m *Manager) forgetDiscovery(namespace string) {
	g := m.conn.Getter(namespace)
	if dc, err := g.ToDiscoveryClient(); err == nil {
		dc.Invalidate()
	}
	if mapper, err := g.ToRESTMapper(); err == nil {
		if r, ok := mapper.(meta.ResettableRESTMapper); ok {
			r.Reset()
		}
	}
}
