package plan

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// zeroField wraps a value of an applied object that the API server does not store, so that
// a live object without it has not drifted. A live object with it is compared as usual.
type zeroField struct{ v any }

// withoutOmitted returns applied with the fields that the API server does not store for its
// kind wrapped in zeroField: the false, 0 and "" of the fields its Go types mark omitempty, such as
// hostNetwork: false or subPath: "" that charts render. Zero values it does store stay:
// those of pointer fields (automountServiceAccountToken: false), of string maps (labels,
// annotations, a ConfigMap's data), and of every field of a custom resource. ok is false for
// a kind the built-in scheme does not know, or an object that does not convert to it.
func withoutOmitted(applied map[string]any) (map[string]any, bool) {
	apiVersion, _ := applied["apiVersion"].(string)
	kind, _ := applied["kind"].(string)
	obj, err := scheme.Scheme.New(schema.FromAPIVersionAndKind(apiVersion, kind))
	if err != nil {
		return nil, false
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(applied, obj); err != nil {
		return nil, false
	}
	typed, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, false
	}
	out, _ := keepStored(applied, typed).(map[string]any)
	return out, out != nil
}

// keepStored returns applied with the map values whose keys typed, the same value encoded
// through its Go type, lacks, wrapped in zeroField. Lists are compared index by index.
func keepStored(applied, typed any) any {
	switch a := applied.(type) {
	case map[string]any:
		t, ok := typed.(map[string]any)
		if !ok {
			return applied
		}
		out := make(map[string]any, len(a))
		for k, v := range a {
			if tv, ok := t[k]; ok {
				out[k] = keepStored(v, tv)
			} else {
				out[k] = zeroField{v}
			}
		}
		return out
	case []any:
		t, ok := typed.([]any)
		if !ok || len(t) != len(a) {
			return applied
		}
		out := make([]any, len(a))
		for i := range a {
			out[i] = keepStored(a[i], t[i])
		}
		return out
	}
	return applied
}

// unwrapZero returns v without the zeroField wrappers that withoutOmitted put in it, as the
// release applied it: what a FieldChange shows of a map or list that the live object lacks.
func unwrapZero(v any) any {
	switch t := v.(type) {
	case zeroField:
		return unwrapZero(t.v)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = unwrapZero(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = unwrapZero(e)
		}
		return out
	}
	return v
}
