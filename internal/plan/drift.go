package plan

import (
	"fmt"
	"maps"
	"slices"
)

// driftOfObject compares a whole object as the release applied it with the live object, as
// driftOf does, except that a field the API server does not store for the object's kind is
// not drift when the live object lacks it (see withoutOmitted).
func driftOfObject(applied, live map[string]any) []FieldChange {
	drift := driftOf(applied, live)
	if len(drift) == 0 {
		return nil
	}
	a, ok := withoutOmitted(applied)
	if !ok {
		return drift
	}
	drift = driftOf(a, live)
	for i := range drift {
		drift[i].Old = unwrapZero(drift[i].Old)
	}
	return drift
}

// driftOf compares only the fields that applied sets with their live values, and returns
// those that differ: Old is the applied value, New the live one. Fields set by others
// (defaults, controllers, other field managers) are not drift.
func driftOf(applied, live map[string]any) []FieldChange {
	var out []FieldChange
	driftValue("", applied, live, &out)
	return out
}

func driftValue(path string, applied, live any, out *[]FieldChange) {
	if z, ok := applied.(zeroField); ok {
		applied = z.v
	}
	switch a := applied.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			if !isEmpty(a) {
				*out = append(*out, FieldChange{Path: path, Op: opFor(live), Old: applied, New: live})
			}
			return
		}
		for _, k := range slices.Sorted(maps.Keys(a)) {
			v := a[k]
			if v == nil {
				continue // null unsets a field
			}
			lv, ok := l[k]
			if !ok {
				if _, omitted := v.(zeroField); !omitted && !isEmpty(v) {
					*out = append(*out, FieldChange{Path: join(path, k), Op: FieldRemove, Old: v})
				}
				continue
			}
			driftValue(join(path, k), v, lv, out)
		}
	case []any:
		l, ok := live.([]any)
		if !ok {
			if !isEmpty(a) {
				*out = append(*out, FieldChange{Path: path, Op: opFor(live), Old: applied, New: live})
			}
			return
		}
		if byName, ok := namedElements(a); ok {
			liveByName, _ := namedElements(l)
			for _, name := range elementNames(a) {
				p := fmt.Sprintf("%s[name=%s]", path, name)
				lv, ok := liveByName[name]
				if !ok {
					*out = append(*out, FieldChange{Path: p, Op: FieldRemove, Old: byName[name]})
					continue
				}
				driftValue(p, byName[name], lv, out)
			}
			return
		}
		if !allMaps(a) {
			if !sameList(a, l) {
				*out = append(*out, FieldChange{Path: path, Op: FieldReplace, Old: applied, New: live})
			}
			return
		}
		for i, v := range a {
			p := fmt.Sprintf("%s[%d]", path, i)
			if i >= len(l) {
				*out = append(*out, FieldChange{Path: p, Op: FieldRemove, Old: v})
				continue
			}
			driftValue(p, v, l[i], out)
		}
	default:
		if !sameLeaf(applied, live) {
			*out = append(*out, FieldChange{Path: path, Op: opFor(live), Old: applied, New: live})
		}
	}
}

func opFor(live any) FieldOp {
	if live == nil {
		return FieldRemove
	}
	return FieldReplace
}
