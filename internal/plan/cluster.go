package plan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"helm.sh/helm/v4/pkg/chart/common"
	ri "helm.sh/helm/v4/pkg/release"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/release"
)

// Storage reads Helm's release records.
type Storage interface {
	// Releases returns every revision of every release stored in namespace, with one request.
	Releases(ctx context.Context, namespace string) ([]*rspb.Release, error)
	// NamedReleases returns every revision, in any namespace, of the releases of these names,
	// with one request per few hundred names.
	NamedReleases(ctx context.Context, names []string) ([]*rspb.Release, error)
	// ProjectReleases returns every revision, in any namespace, labeled as project's.
	ProjectReleases(ctx context.Context, project string) ([]*rspb.Release, error)
}

// Discovery tells what the cluster serves.
type Discovery interface {
	// Capabilities are what templates see as .Capabilities.
	Capabilities(ctx context.Context) (*common.Capabilities, error)
	// Mapping returns the resource of a kind and whether it is namespaced.
	Mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error)
}

// Objects reads and dry-runs Kubernetes objects.
type Objects interface {
	// List returns the objects of a resource in namespace (every namespace when "", and
	// cluster-scoped resources ignore it) that match the label selector ("" for all).
	List(ctx context.Context, m *meta.RESTMapping, namespace, selector string) ([]unstructured.Unstructured, error)
	// DryRunApply sends obj as a server-side apply with Helm's field manager and dryRun=All,
	// and returns what the object would become.
	DryRunApply(ctx context.Context, m *meta.RESTMapping, obj *unstructured.Unstructured, force bool) (*unstructured.Unstructured, error)
}

// Kube implements Storage, Discovery and Objects on a cluster connection. It shares the
// connection's discovery cache and REST mapper, so that one plan costs one discovery.
type Kube struct {
	conn    *cluster.Conn
	client  kubernetes.Interface
	meta    metadata.Interface
	dynamic dynamic.Interface
	disc    discovery.CachedDiscoveryInterface
	mapper  meta.RESTMapper
}

// NewKube prepares the clients of conn. It makes no request.
func NewKube(conn *cluster.Conn) (*Kube, error) {
	// Helm's records are read as protobuf, which the API server encodes and kaji decodes
	// faster than JSON, with nothing in them escaped.
	cfg := conn.RESTConfig()
	cfg.ContentType = kruntime.ContentTypeProtobuf
	cfg.AcceptContentTypes = kruntime.ContentTypeProtobuf + "," + kruntime.ContentTypeJSON
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	meta, err := metadata.NewForConfig(conn.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(conn.RESTConfig())
	if err != nil {
		return nil, fmt.Errorf("dynamic client: %w", err)
	}
	g := conn.Getter("")
	disc, err := g.ToDiscoveryClient()
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	mapper, err := g.ToRESTMapper()
	if err != nil {
		return nil, fmt.Errorf("rest mapper: %w", err)
	}
	return &Kube{conn: conn, client: client, meta: meta, dynamic: dyn, disc: disc, mapper: mapper}, nil
}

// Capabilities are the connection's, read once per run (see cluster.Conn.Capabilities).
func (k *Kube) Capabilities(context.Context) (*common.Capabilities, error) {
	return k.conn.Capabilities()
}

// Mapping implements Discovery.
func (k *Kube) Mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	return k.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
}

// Releases lists the Secrets of Helm's storage in namespace (label owner=helm), and decodes
// them with Helm's own storage driver.
func (k *Kube) Releases(ctx context.Context, namespace string) ([]*rspb.Release, error) {
	rels, err := k.records(ctx, namespace, "owner=helm")
	if err != nil {
		return nil, fmt.Errorf("read helm releases in namespace %s: %w", namespace, err)
	}
	return rels, nil
}

// namesPerList bounds the names of one "name in (...)" selector, to keep request URLs short.
const namesPerList = 200

// NamedReleases lists, in every namespace, the storage Secrets labeled owner=helm whose name
// label is one of names, and decodes them with Helm's own storage driver.
func (k *Kube) NamedReleases(ctx context.Context, names []string) ([]*rspb.Release, error) {
	var out []*rspb.Release
	for chunk := range slices.Chunk(slices.Sorted(slices.Values(names)), namesPerList) {
		rels, err := k.records(ctx, metav1.NamespaceAll, fmt.Sprintf("owner=helm,name in (%s)", strings.Join(chunk, ",")))
		if err != nil {
			return nil, fmt.Errorf("read helm releases in all namespaces: %w", err)
		}
		out = append(out, rels...)
	}
	return out, nil
}

// records lists the storage Secrets in namespace that selector picks, thins them
// (thinHistory), gives them their lookups (lookupsAsLabel), and decodes them.
func (k *Kube) records(ctx context.Context, namespace, selector string) ([]*rspb.Release, error) {
	list, err := k.client.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	thinHistory(list.Items)
	lookupsAsLabel(list.Items)
	return decodeRecords(list.Items, runtime.GOMAXPROCS(0))
}

// decodeRecords decodes storage Secrets with Helm's own driver, in n shares at once (one per
// core): each record kept whole is a gzipped copy of its chart, and decoding them one after
// another was the longest part of a plan's first reads. They come back in their order; a
// record that does not decode is left out, as the driver leaves it out of a list.
func decodeRecords(items []corev1.Secret, n int) ([]*rspb.Release, error) {
	n = max(n, 1)
	shares := make([][]corev1.Secret, 0, n)
	for share := range slices.Chunk(items, max(1, (len(items)+n-1)/n)) {
		shares = append(shares, share)
	}
	decoded := make([][]ri.Releaser, len(shares))
	errs := make([]error, len(shares))
	var wg sync.WaitGroup
	for i, share := range shares {
		wg.Go(func() {
			d := driver.NewSecrets(listedSecrets{items: share})
			decoded[i], errs[i] = d.List(func(ri.Releaser) bool { return true })
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return v1Releases(slices.Concat(decoded...))
}

// ProjectReleases lists, in every namespace, the storage Secrets labeled owner=helm and
// kaji.dev/project=project, as metadata only: the API server sends no release data, and
// each revision holds only what its labels say (name, namespace, number, status and labels),
// which is what finding orphans needs. A Secret without those labels is left out.
func (k *Kube) ProjectReleases(ctx context.Context, project string) ([]*rspb.Release, error) {
	if errs := validation.IsValidLabelValue(project); len(errs) > 0 {
		return nil, fmt.Errorf("project %q cannot be a label value: %s", project, strings.Join(errs, "; "))
	}
	sel := labels.Set{"owner": "helm", release.ProjectLabel: project}.AsSelector().String()
	list, err := k.meta.Resource(secretsResource).Namespace(metav1.NamespaceAll).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, fmt.Errorf("read the helm releases of project %s: %w", project, err)
	}
	out := make([]*rspb.Release, 0, len(list.Items))
	for _, item := range list.Items {
		if r := labelRelease(item.Namespace, item.Labels); r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// List implements Objects, a page of 500 objects per request.
func (k *Kube) List(ctx context.Context, m *meta.RESTMapping, namespace, selector string) ([]unstructured.Unstructured, error) {
	var ri dynamic.ResourceInterface = k.dynamic.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = k.dynamic.Resource(m.Resource).Namespace(namespace)
	}
	var items []unstructured.Unstructured
	opts := metav1.ListOptions{Limit: 500, LabelSelector: selector}
	for {
		list, err := ri.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		items = append(items, list.Items...)
		if list.GetContinue() == "" {
			return items, nil
		}
		opts.Continue = list.GetContinue()
	}
}

// DryRunApply implements Objects with the options of Helm's upgrade: field manager "helm",
// strict field validation.
func (k *Kube) DryRunApply(ctx context.Context, m *meta.RESTMapping, obj *unstructured.Unstructured, force bool) (*unstructured.Unstructured, error) {
	body, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", obj.GetName(), err)
	}
	var ri dynamic.ResourceInterface = k.dynamic.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = k.dynamic.Resource(m.Resource).Namespace(obj.GetNamespace())
	}
	return ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
		DryRun:          []string{metav1.DryRunAll},
		FieldManager:    release.FieldManager,
		Force:           &force,
		FieldValidation: "Strict",
	})
}

// secretsResource is where Helm's storage driver keeps releases.
var secretsResource = corev1.SchemeGroupVersion.WithResource("secrets")

// listedSecrets gives Helm's storage driver, to decode, Secrets already listed.
type listedSecrets struct {
	typedcorev1.SecretInterface
	items []corev1.Secret
}

func (s listedSecrets) List(context.Context, metav1.ListOptions) (*corev1.SecretList, error) {
	return &corev1.SecretList{Items: s.items}, nil
}

func v1Releases(rels []ri.Releaser) ([]*rspb.Release, error) {
	out := make([]*rspb.Release, 0, len(rels))
	for _, r := range rels {
		rel, ok := r.(*rspb.Release)
		if !ok {
			return nil, fmt.Errorf("unexpected release type %T from helm's storage", r)
		}
		out = append(out, rel)
	}
	return out, nil
}
