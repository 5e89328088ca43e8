package plan

import (
	"encoding/base64"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"strconv"

	"k8s.io/apimachinery/pkg/api/resource"
)

// FieldPath names a field by its keys from the object's root, such as
// {"metadata", "annotations", "deployment.kubernetes.io/revision"}.
type FieldPath []string

// The labels with which Flux's helm-controller marks the objects of a HelmRelease: its name
// and namespace.
const (
	fluxNameLabel      = "helm.toolkit.fluxcd.io/name"
	fluxNamespaceLabel = "helm.toolkit.fluxcd.io/namespace"
)

// DefaultIgnore returns the fields that a plan ignores unless told otherwise: those the API
// server and controllers write, which no chart sets. Among them are the labels that Flux's
// helm-controller adds to every object of the releases it runs (docs/gitops.md), so that a
// release Flux took over without a change is in sync with kaji.yaml.
func DefaultIgnore() []FieldPath {
	return []FieldPath{
		{"metadata", "managedFields"},
		{"metadata", "resourceVersion"},
		{"metadata", "generation"},
		{"metadata", "uid"},
		{"metadata", "creationTimestamp"},
		{"metadata", "selfLink"},
		{"status"},
		{"metadata", "annotations", "deployment.kubernetes.io/revision"},
		{"metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"},
		{"metadata", "labels", fluxNameLabel},
		{"metadata", "labels", fluxNamespaceLabel},
	}
}

// strip returns a deep copy of obj without the ignored fields, and without maps that are
// left empty by that.
func strip(obj map[string]any, ignore []FieldPath) map[string]any {
	out := deepCopy(obj).(map[string]any)
	for _, p := range ignore {
		removePath(out, p)
	}
	return out
}

// deepCopy copies the maps and lists of a JSON-like value; leaves are shared.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func removePath(m map[string]any, p FieldPath) {
	if len(p) == 0 {
		return
	}
	if len(p) == 1 {
		delete(m, p[0])
		return
	}
	child, ok := m[p[0]].(map[string]any)
	if !ok {
		return
	}
	removePath(child, p[1:])
	if len(child) == 0 {
		delete(m, p[0])
	}
}

// secretData turns the stringData of a Secret as applied into data, as the API server does,
// so that it compares with the live object, which has no stringData.
func secretData(obj map[string]any) map[string]any {
	sd, ok := obj["stringData"].(map[string]any)
	if !ok {
		return obj
	}
	out := maps.Clone(obj)
	delete(out, "stringData")
	data := map[string]any{}
	if d, ok := obj["data"].(map[string]any); ok {
		maps.Copy(data, d)
	}
	for k, v := range sd {
		if s, ok := v.(string); ok {
			data[k] = base64.StdEncoding.EncodeToString([]byte(s))
		}
	}
	out["data"] = data
	return out
}

// namedElements indexes a list whose elements are all maps with distinct string names, such
// as containers, volumes and env; ok is false for any other list.
func namedElements(list []any) (map[string]any, bool) {
	if len(list) == 0 {
		return nil, false
	}
	byName := make(map[string]any, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		name, ok := m["name"].(string)
		if !ok {
			return nil, false
		}
		if _, dup := byName[name]; dup {
			return nil, false
		}
		byName[name] = e
	}
	return byName, true
}

func elementNames(list []any) []string {
	names := make([]string, 0, len(list))
	for _, e := range list {
		names = append(names, e.(map[string]any)["name"].(string))
	}
	return names
}

func allMaps(list []any) bool {
	for _, e := range list {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

func sameList(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

// sameValue compares two values deeply, leaves with sameLeaf and empty with absent.
func sameValue(a, b any) bool {
	var out []FieldChange
	diffValue("", a, b, &out)
	return len(out) == 0
}

// sameLeaf compares two scalars: numbers by value whatever their Go type, and resource
// quantities by amount ("500m" and 0.5, "1Gi" and "1024Mi").
func sameLeaf(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	fa, oka := number(a)
	fb, okb := number(b)
	if oka && okb {
		return fa == fb
	}
	sa, oka := quantityText(a)
	sb, okb := quantityText(b)
	if !oka || !okb {
		return false
	}
	qa, erra := resource.ParseQuantity(sa)
	qb, errb := resource.ParseQuantity(sb)
	return erra == nil && errb == nil && qa.Cmp(qb) == 0
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	return 0, false
}

func quantityText(v any) (string, bool) {
	if s, ok := v.(string); ok {
		return s, true
	}
	if f, ok := number(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64), true
	}
	return "", false
}

// isEmpty reports whether v is nothing: null, an empty list, or a map of nothing.
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range t {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	case []any:
		return len(t) == 0
	}
	return false
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// join appends a key to a path: spec.replicas, metadata.annotations["a.b/c"].
func join(path, key string) string {
	if !plainKey.MatchString(key) {
		return fmt.Sprintf("%s[%q]", path, key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}
