package helmfile

import (
	"fmt"
	"slices"
	"strings"
)

// resolveNeeds turns the needs entries of every release into kaji release names. helmfile
// reads an entry as [[kubecontext/]namespace/]name and completes what it leaves out with the
// needing release's namespace and context; a kube context may itself hold slashes (EKS context
// ARNs do), so the name and namespace are taken from the right. An entry that matches no
// release exactly is matched by name alone when one release has that name.
func (r *reader) resolveNeeds() {
	for i, m := range r.byIndex {
		rel := &r.found.Releases[i]
		for _, n := range m.needs {
			parts := strings.Split(n.text, "/")
			name, ns, ctx := parts[len(parts)-1], m.ns, m.ctx
			if len(parts) > 1 {
				ns = parts[len(parts)-2]
			}
			if len(parts) > 2 {
				ctx = strings.Join(parts[:len(parts)-2], "/")
			}
			target, msg := r.needed(name, ns, ctx)
			if msg != "" {
				r.note(m, n.line, fmt.Sprintf("needs %s: %s", n.text, msg), false)
			}
			if target != "" && !slices.Contains(rel.Needs, target) {
				rel.Needs = append(rel.Needs, target)
			}
		}
	}
}

// needed finds the release a needs entry means, and says what a person should know about how
// it was found; an empty name means none was.
func (r *reader) needed(name, ns, ctx string) (string, string) {
	var byName []int
	for j, o := range r.byIndex {
		if o.name != name {
			continue
		}
		if o.ns == ns && o.ctx == ctx {
			return o.name, ""
		}
		byName = append(byName, j)
	}
	switch len(byName) {
	case 0:
		return "", "no release of this helmfile has that name (it may be in another helmfile); not imported: " +
			"add it to needs once that release is in kaji.yaml too"
	case 1:
		o := r.byIndex[byName[0]]
		return o.name, fmt.Sprintf("helmfile reads it as namespace %s, context %s, which no release has; "+
			"it is taken to mean the only release named %s (namespace %s, line %d)", orEmpty(ns), orNone(ctx), name, orEmpty(o.ns), o.line)
	}
	var where []string
	for _, j := range byName {
		where = append(where, fmt.Sprintf("namespace %s on line %d", orEmpty(r.byIndex[j].ns), r.byIndex[j].line))
	}
	return "", fmt.Sprintf("helmfile reads it as namespace %s, context %s, which no release has, and several releases are named %s (%s); "+
		"not imported: add the one it means to needs", orEmpty(ns), orNone(ctx), name, strings.Join(where, ", "))
}

func orEmpty(ns string) string {
	if ns == "" {
		return "(none)"
	}
	return ns
}
