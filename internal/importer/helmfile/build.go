package helmfile

import (
	"errors"
	"fmt"
	"strings"

	"kaji.dev/kaji/internal/spec"
)

// build turns what gather collected into Found.
func (r *reader) build() error {
	d := r.readDefaults()
	ctx := r.defaultContext(d)
	if ctx != "" {
		r.kajiCluster().KubeContext = ctx
	}
	r.readRepositories()
	var problems []string
	for _, n := range r.releases {
		rel, m, p := r.readRelease(n, d, ctx)
		if len(p) > 0 {
			problems = append(problems, p...)
			continue
		}
		r.spans = append(r.spans, span{first: n.Line, last: lastLine(n), release: len(r.byIndex)})
		r.found.Releases = append(r.found.Releases, rel)
		r.byIndex = append(r.byIndex, m)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	r.resolveNeeds()
	r.checkNames()
	r.readEnvironments()
	return nil
}

// defaultContext returns the kube context of the releases that set none: the top-level
// kubeContext, else the default environment's, else helmDefaults', else the deprecated
// top-level context.
func (r *reader) defaultContext(d defaults) string {
	for _, n := range []string{r.scalarNode(r.kubeContext), r.environmentContext("default"), d.kubeContext, r.scalarNode(r.context)} {
		if n != "" {
			return n
		}
	}
	return ""
}

// checkNames notes releases that share a name: helmfile tells them apart by namespace and
// context, kaji names each release once.
func (r *reader) checkNames() {
	first := map[string]int{}
	for i, rel := range r.found.Releases {
		j, seen := first[rel.Name]
		if !seen {
			first[rel.Name] = i
			continue
		}
		other := r.found.Releases[j]
		r.note(r.byIndex[i], r.byIndex[i].line, fmt.Sprintf("release name %s is also used by the release of line %d (namespace %s): "+
			"kaji names each release once in a kaji.yaml; import one of them into another kaji project", rel.Name, r.byIndex[j].line, other.Namespace), true)
	}
}

// readEnvironments puts the helmfile's environments into Found.Environments, with their kube
// context as the environment's cluster. The default environment is what helmfile uses without
// --environment, as kaji uses the top level without --env: its kube context went to the top
// level. Environment values and secrets only feed templates and are noted.
func (r *reader) readEnvironments() {
	for _, e := range r.environments {
		env := spec.Environment{}
		for _, p := range pairs(e.value) {
			line := p.keyN.Line
			switch p.key {
			case "kubeContext":
				if s := r.scalarNode(p.value); s != "" {
					env.Cluster = &spec.Cluster{KubeContext: s}
				}
			case "values", "secrets":
				if !isEmpty(p.value) {
					r.addNote(line, fmt.Sprintf("environment %s %s: they only feed helmfile templates (of this file and of .gotmpl values files); "+
						"kaji has no templates, so nothing is imported from them: %s", e.key, p.key, r.whereUsed()), false)
				}
			case "missingFileHandler", "missingFileHandlerConfig":
			default:
				r.addNote(line, fmt.Sprintf("environment %s: unknown helmfile key %s; not imported", e.key, p.key), false)
			}
		}
		if e.key == "default" {
			continue
		}
		if r.found.Environments == nil {
			r.found.Environments = map[string]spec.Environment{}
		}
		r.found.Environments[e.key] = env
	}
}

// environmentContext returns the kubeContext of the named environment, or "".
func (r *reader) environmentContext(name string) string {
	for _, e := range r.environments {
		if e.key != name {
			continue
		}
		for _, p := range pairs(e.value) {
			if p.key == "kubeContext" {
				return r.scalarNode(p.value)
			}
		}
	}
	return ""
}

// whereUsed says where state values may have been used.
func (r *reader) whereUsed() string {
	if len(r.tpl.lines) == 0 {
		return "this helmfile has no template lines, so only .gotmpl values files could use them"
	}
	return "the template notes say where they were used"
}
