package validate

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	sigsyaml "sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/spec"
)

// hookAnnotation marks a Helm hook. Hooks are created and deleted around the release, so a
// hook may share its name with another hook; they are not checked for duplicates.
const hookAnnotation = "helm.sh/hook"

// object is one rendered Kubernetes object: where it was rendered and what names it.
type object struct {
	file string
	doc  int // 1-based document number in the file
	id   string
	name string
}

// checkManifests checks what a release renders, as Helm splits it before it applies it: every
// document of every template (NOTES.txt aside) must parse and be an object with apiVersion,
// kind and a name, and no object may appear twice.
func checkManifests(release string, files map[string]string) []Finding {
	var out []Finding
	seen := map[string]object{}
	for _, file := range slices.Sorted(maps.Keys(files)) {
		if render.IsNotes(file) || strings.TrimSpace(files[file]) == "" {
			continue
		}
		docs := releaseutil.SplitManifests(files[file])
		names := slices.Collect(maps.Keys(docs))
		sort.Sort(releaseutil.BySplitManifestsOrder(names))
		for i, key := range names {
			add := func(format string, args ...any) {
				out = append(out, Finding{
					Severity: Error, Code: CodeManifest, Release: release, Pos: spec.Pos{File: file},
					Message: oneLine(fmt.Sprintf("document %d: ", i+1) + fmt.Sprintf(format, args...)),
				})
			}
			var v any
			if err := sigsyaml.Unmarshal([]byte(docs[key]), &v); err != nil {
				add("the rendered YAML does not parse: %v", err)
				continue
			}
			for _, o := range objects(v, add) {
				o.file, o.doc = file, i+1
				if o.id == "" {
					continue
				}
				if first, dup := seen[o.id]; dup {
					add("%s is rendered twice; %s document %d renders it too (objects must be unique within a release)",
						o.name, first.file, first.doc)
					continue
				}
				seen[o.id] = o
			}
		}
	}
	return out
}

// objects checks one parsed document and returns the objects it holds: itself, or the items
// of a List. Empty documents (nothing, or only comments) hold none. Problems go to add.
// Hooks and objects named by generateName come back without an id.
func objects(v any, add func(string, ...any)) []object {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		add("the rendered document is not an object but %s", describe(v))
		return nil
	}
	if items, ok := m["items"].([]any); ok && strings.HasSuffix(str(m["kind"]), "List") {
		var out []object
		for j, item := range items {
			itemAdd := func(format string, args ...any) { add(fmt.Sprintf("item %d of the list: ", j+1)+format, args...) }
			out = append(out, objects(item, itemAdd)...)
		}
		return out
	}
	apiVersion, kind := str(m["apiVersion"]), str(m["kind"])
	meta, _ := m["metadata"].(map[string]any)
	name, generateName := str(meta["name"]), str(meta["generateName"])
	var missing []string
	if apiVersion == "" {
		missing = append(missing, "apiVersion")
	}
	if kind == "" {
		missing = append(missing, "kind")
	}
	if name == "" && generateName == "" {
		missing = append(missing, "metadata.name (or metadata.generateName)")
	}
	if len(missing) > 0 {
		add("the object has no %s; every object needs apiVersion, kind and metadata.name", joinAnd(missing))
		return nil
	}
	annotations, _ := meta["annotations"].(map[string]any)
	if name == "" || str(annotations[hookAnnotation]) != "" {
		return []object{{}}
	}
	group, _, _ := strings.Cut(apiVersion, "/")
	if !strings.Contains(apiVersion, "/") {
		group = ""
	}
	ns := str(meta["namespace"])
	label := kind + " " + name
	if ns != "" {
		label = kind + " " + ns + "/" + name
	}
	return []object{{id: strings.Join([]string{group, kind, ns, name}, "\x00"), name: label}}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func describe(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// joinAnd joins words as "a, b and c".
func joinAnd(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
