package plan

import (
	"fmt"
	"sort"
	"strings"

	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// The metadata that Helm's install and upgrade add to every object they apply.
const (
	managedByLabel       = "app.kubernetes.io/managed-by"
	managedByHelm        = "Helm"
	releaseNameAnno      = "meta.helm.sh/release-name"
	releaseNamespaceAnno = "meta.helm.sh/release-namespace"
	resourcePolicyAnno   = "helm.sh/resource-policy"
)

// object is one object of a release manifest, placed in its namespace.
type object struct {
	ref ObjectRef
	// u is the object as the release applies it: the manifest's document plus Helm's
	// ownership metadata and the namespace.
	u *unstructured.Unstructured
	// mapping is the object's REST mapping; nil when err is set.
	mapping *meta.RESTMapping
	// err says why the object has no mapping: its kind is unknown to the cluster.
	err error
	// unserved says that the cluster does not serve the object's kind (yet).
	unserved bool
}

// parseManifest splits a release manifest into its objects, in order. Lists (kind: List)
// are flattened, as Helm's resource builder does.
func parseManifest(manifest string) ([]*unstructured.Unstructured, error) {
	docs := releaseutil.SplitManifests(manifest)
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(names))
	var out []*unstructured.Unstructured
	for _, name := range names {
		doc := docs[name]
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("parse manifest: %w", err)
		}
		if strings.TrimSpace(string(js)) == "null" {
			continue
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("parse manifest document %s: %w", firstLine(doc), err)
		}
		if u.IsList() {
			list, err := u.ToList()
			if err != nil {
				return nil, fmt.Errorf("parse manifest list: %w", err)
			}
			for i := range list.Items {
				out = append(out, &list.Items[i])
			}
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

// place gives each object of a release its REST mapping and namespace, as Helm's resource
// builder does (namespaced objects without one go to the release's namespace), and the
// ownership metadata that Helm adds before it applies them.
func place(objs []*unstructured.Unstructured, name, namespace string, mapper Discovery) []object {
	out := make([]object, 0, len(objs))
	for _, u := range objs {
		u = u.DeepCopy()
		gvk := u.GroupVersionKind()
		o := object{u: u}
		m, err := mapper.Mapping(gvk)
		switch {
		case err != nil && meta.IsNoMatchError(err):
			o.err = fmt.Errorf("the cluster has no API for %s", gvk.GroupVersion().WithKind(gvk.Kind))
			o.unserved = true
		case err != nil:
			o.err = fmt.Errorf("map %s: %w", gvk, err)
		case m.Scope.Name() == meta.RESTScopeNameNamespace:
			if u.GetNamespace() == "" {
				u.SetNamespace(namespace)
			}
			o.mapping = m
		default:
			u.SetNamespace("")
			o.mapping = m
		}
		if o.err != nil && u.GetNamespace() == "" {
			u.SetNamespace(namespace) // a guess, to name the object
		}
		setHelmMetadata(u, name, namespace)
		o.ref = refOf(u)
		out = append(out, o)
	}
	return out
}

func refOf(u *unstructured.Unstructured) ObjectRef {
	gvk := u.GroupVersionKind()
	return ObjectRef{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName()}
}

func (r ObjectRef) gvk() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

// setHelmMetadata adds the label and annotations by which Helm recognizes its objects.
func setHelmMetadata(u *unstructured.Unstructured, name, namespace string) {
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[managedByLabel] = managedByHelm
	u.SetLabels(labels)
	annos := u.GetAnnotations()
	if annos == nil {
		annos = map[string]string{}
	}
	annos[releaseNameAnno] = name
	annos[releaseNamespaceAnno] = namespace
	u.SetAnnotations(annos)
}

// ownershipError returns why Helm would refuse to adopt an existing object into a release,
// or nil: Helm's label and annotations must name the release.
func ownershipError(live *unstructured.Unstructured, name, namespace string) error {
	var problems []string
	check := func(what string, m map[string]string, key, want string) {
		got, ok := m[key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s %q is missing (must be %q)", what, key, want))
		case got != want:
			problems = append(problems, fmt.Sprintf("%s %q is %q (must be %q)", what, key, got, want))
		}
	}
	check("label", live.GetLabels(), managedByLabel, managedByHelm)
	check("annotation", live.GetAnnotations(), releaseNameAnno, name)
	check("annotation", live.GetAnnotations(), releaseNamespaceAnno, namespace)
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("exists and belongs to no release or another one, so helm will not take it over: %s", strings.Join(problems, "; "))
}

// stripComments drops YAML comment lines, such as Helm's "# Source:" headers.
func stripComments(doc string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func firstLine(doc string) string {
	for line := range strings.SplitSeq(doc, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "---") {
			return t
		}
	}
	return ""
}
