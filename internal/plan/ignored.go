package plan

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"kaji.dev/kaji/internal/ignore"
)

// strip returns a deep copy of obj, a live object or one the dry run returned, without the
// fields the plan ignores: those of ignore and those of the release's ignoreDifferences.
func (w *work) strip(obj map[string]any, ignore []FieldPath) map[string]any {
	out := strip(obj, ignore)
	w.spec.Ignore.Strip(out)
	return out
}

// stripRendered removes the fields of the release's ignoreDifferences from objects as the
// chart renders them, as the post-renderer of apply does (ignore.Rules.PostRenderer), and
// returns, index by index, the fields each had.
func (w *work) stripRendered(objs []*unstructured.Unstructured) [][]string {
	if len(w.spec.Ignore) == 0 {
		return nil
	}
	out := make([][]string, len(objs))
	for i, u := range objs {
		for _, p := range w.spec.Ignore.Strip(u.Object) {
			out[i] = append(out[i], p.String())
		}
	}
	return out
}

// noteIgnored records the fields that ignoreDifferences left out of the objects apply would
// write: removed, index by index, as stripRendered returned them.
func (w *work) noteIgnored(removed [][]string) {
	for i, paths := range removed {
		for _, p := range paths {
			w.addIgnored(w.desired[i].ref, p)
		}
	}
}

// noteIgnoredLive records the ignored fields that the live objects of the release have.
func (w *work) noteIgnoredLive(live *liveSet) {
	if len(w.spec.Ignore) == 0 || w.out.Err != nil {
		return
	}
	for _, objs := range [][]object{w.desired, w.base} {
		for _, o := range objs {
			if o.mapping == nil {
				continue
			}
			l, err := live.get(o)
			if err != nil || l == nil {
				continue
			}
			for _, p := range w.spec.Ignore.Pointers(objectOf(l)) {
				if p.Has(l.Object) {
					w.addIgnored(o.ref, p.String())
				}
			}
		}
	}
}

func (w *work) addIgnored(ref ObjectRef, path string) {
	for _, f := range w.out.Ignored {
		if f.Object.key() == ref.key() && f.Path == path {
			return
		}
	}
	w.out.Ignored = append(w.out.Ignored, IgnoredField{Object: ref, Path: path})
}

func objectOf(u *unstructured.Unstructured) ignore.Object {
	gvk := u.GroupVersionKind()
	return ignore.Object{Group: gvk.Group, Kind: gvk.Kind, Name: u.GetName()}
}
