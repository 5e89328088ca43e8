package view

import (
	"fmt"
	"slices"
	"strings"

	"kaji.dev/kaji/internal/plan"
)

// isCRD reports whether ref is a CustomResourceDefinition, whose text is summarised per
// version rather than shown whole: the schemas of real CRDs run to thousands of lines.
func isCRD(ref plan.ObjectRef) bool {
	return ref.Group == "apiextensions.k8s.io" && ref.Kind == "CustomResourceDefinition"
}

// writeCRD summarises what apply does to a CRD: for a creation, its versions; for an update,
// the fields it changes, those of each version's schema counted per version.
func writeCRD(b *strings.Builder, c plan.ObjectChange) {
	if c.Action == plan.ChangeCreate {
		if vs := crdVersions(c.Planned); len(vs) > 0 {
			fmt.Fprintf(b, "    versions: %s\n", strings.Join(vs, ", "))
		}
		return
	}
	schema := map[string]int{}
	var versions, other []string
	for _, f := range c.Diff {
		rest, ok := strings.CutPrefix(f.Path, "spec.versions[name=")
		if !ok {
			other = append(other, fmt.Sprintf("%s (%s)", f.Path, f.Op))
			continue
		}
		v, field, _ := strings.Cut(rest, "]")
		if !slices.Contains(versions, v) {
			versions = append(versions, v)
		}
		if strings.HasPrefix(field, ".schema.") {
			schema[v]++
			continue
		}
		other = append(other, fmt.Sprintf("%s (%s)", f.Path, f.Op))
	}
	for _, v := range versions {
		if n := schema[v]; n > 0 {
			fmt.Fprintf(b, "    version %s: %d schema field(s) change\n", v, n)
		}
	}
	for _, o := range other {
		fmt.Fprintf(b, "    changes %s\n", o)
	}
}

// crdVersions describes the versions of a CRD: "v1 (served, storage)", "v1beta1 (not served)".
func crdVersions(crd map[string]any) []string {
	spec, _ := crd["spec"].(map[string]any)
	list, _ := spec["versions"].([]any)
	var out []string
	for _, x := range list {
		m, _ := x.(map[string]any)
		name, _ := m["name"].(string)
		var flags []string
		if served, _ := m["served"].(bool); served {
			flags = append(flags, "served")
		} else {
			flags = append(flags, "not served")
		}
		if storage, _ := m["storage"].(bool); storage {
			flags = append(flags, "storage")
		}
		out = append(out, fmt.Sprintf("%s (%s)", name, strings.Join(flags, ", ")))
	}
	return out
}
