package ignore

import (
	"strings"
)

// Rule is one entry of a release's ignoreDifferences: fields of the objects of a kind (and
// group, and name, when set) that kaji neither applies nor compares.
type Rule struct {
	// Group is the API group; empty matches the kind in any group.
	Group string
	// Kind is the object kind, such as Deployment.
	Kind string
	// Name is the object name; empty matches every object of the kind.
	Name string
	// Paths are the fields.
	Paths []Pointer
}

// Rules are the ignoreDifferences of one release.
type Rules []Rule

// Object names an object that rules may match.
type Object struct {
	Group, Kind, Name string
}

// ObjectOf names the object of a decoded manifest document.
func ObjectOf(obj map[string]any) Object {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group := ""
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		group = g
	}
	meta, _ := obj["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	return Object{Group: group, Kind: kind, Name: name}
}

func (r Rule) matches(o Object) bool {
	return r.Kind == o.Kind && (r.Group == "" || r.Group == o.Group) && (r.Name == "" || r.Name == o.Name)
}

// Pointers returns the fields that rs ignore in o, each once, in the order of rs.
func (rs Rules) Pointers(o Object) []Pointer {
	var out []Pointer
	seen := map[string]bool{}
	for _, r := range rs {
		if !r.matches(o) {
			continue
		}
		for _, p := range r.Paths {
			if !seen[p.text] {
				seen[p.text] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// Strip removes from obj, in place, the fields that rs ignore in it, and returns those it
// had. The objects of hooks are left alone: helm creates them, and kaji does not compare them.
func (rs Rules) Strip(obj map[string]any) []Pointer {
	if len(rs) == 0 || isHook(obj) {
		return nil
	}
	var removed []Pointer
	for _, p := range rs.Pointers(ObjectOf(obj)) {
		if p.Remove(obj) {
			removed = append(removed, p)
		}
	}
	return removed
}

// hookAnnotation marks the templates of a chart that are hooks.
const hookAnnotation = "helm.sh/hook"

func isHook(obj map[string]any) bool {
	meta, _ := obj["metadata"].(map[string]any)
	annos, _ := meta["annotations"].(map[string]any)
	_, ok := annos[hookAnnotation]
	return ok
}
