package plan

import (
	"fmt"
	"maps"
	"slices"
)

// diffObjects returns every field that differs between before and after. Empty maps and
// lists count as absent.
func diffObjects(before, after map[string]any) []FieldChange {
	var out []FieldChange
	diffValue("", before, after, &out)
	return out
}

func diffValue(path string, before, after any, out *[]FieldChange) {
	switch {
	case isEmpty(before) && isEmpty(after):
		return
	case isEmpty(before):
		*out = append(*out, FieldChange{Path: path, Op: FieldAdd, New: after})
		return
	case isEmpty(after):
		*out = append(*out, FieldChange{Path: path, Op: FieldRemove, Old: before})
		return
	}
	switch b := before.(type) {
	case map[string]any:
		a, ok := after.(map[string]any)
		if !ok {
			break
		}
		keys := slices.Sorted(maps.Keys(b))
		for k := range a {
			if _, ok := b[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			diffValue(join(path, k), b[k], a[k], out)
		}
		return
	case []any:
		a, ok := after.([]any)
		if !ok {
			break
		}
		bn, okb := namedElements(b)
		an, oka := namedElements(a)
		if okb && oka {
			names := elementNames(b)
			for _, n := range elementNames(a) {
				if _, ok := bn[n]; !ok {
					names = append(names, n)
				}
			}
			for _, n := range names {
				diffValue(fmt.Sprintf("%s[name=%s]", path, n), bn[n], an[n], out)
			}
			return
		}
		if !allMaps(b) || !allMaps(a) {
			if !sameList(b, a) {
				*out = append(*out, FieldChange{Path: path, Op: FieldReplace, Old: before, New: after})
			}
			return
		}
		for i := range max(len(a), len(b)) {
			var bv, av any
			if i < len(b) {
				bv = b[i]
			}
			if i < len(a) {
				av = a[i]
			}
			diffValue(fmt.Sprintf("%s[%d]", path, i), bv, av, out)
		}
		return
	default:
		if sameLeaf(before, after) {
			return
		}
	}
	*out = append(*out, FieldChange{Path: path, Op: FieldReplace, Old: before, New: after})
}
