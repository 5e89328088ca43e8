package helmfile

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// gather collects the top-level keys of one document. Later documents add to the lists of
// earlier ones, and replace their single values, as helmfile merges them.
func (r *reader) gather(doc *yaml.Node) {
	for _, p := range pairs(doc) {
		line := p.keyN.Line
		switch p.key {
		case "repositories":
			r.repositories = append(r.repositories, r.list(p)...)
		case "releases", "charts":
			r.releases = append(r.releases, r.list(p)...)
		case "helmDefaults":
			r.defaults = overlay(r.defaults, r.mapping(p))
		case "environments":
			r.environments = overlay(r.environments, r.mapping(p))
		case "templates":
			for _, t := range r.mapping(p) {
				r.templates[t.key] = t.value
			}
		case "namespace":
			r.namespace = p.value
		case "kubeContext":
			r.kubeContext = p.value
		case "chart":
			r.chart = p.value
		case "context":
			r.context = p.value
		case "bases":
			for _, b := range items(p.value) {
				s, _ := scalar(b)
				r.addNote(b.Line, fmt.Sprintf("base %s: helmfile merges it into this helmfile, so its repositories, helmDefaults, "+
					"environments and releases count here; import it too (kaji import --from-helmfile %s), "+
					"or import the rendered helmfile that `helmfile build` prints", s, s), false)
			}
		case "helmfiles":
			r.subHelmfiles(p)
		case "hooks":
			for _, h := range items(p.value) {
				r.addNote(h.Line, hookMessage(h), false)
			}
		case "commonLabels":
			if !isEmpty(p.value) {
				r.addNote(line, "commonLabels: kaji has no release labels or selectors yet; the labels are not imported", false)
			}
		case "values":
			if !isEmpty(p.value) {
				r.addNote(line, "values: helmfile state values only feed templates (of this file and of .gotmpl values files); "+
					"kaji has none, so nothing is imported from them: "+r.whereUsed(), false)
			}
		case "helmBinary", "kustomizeBinary":
			r.addNote(line, p.key+": kaji runs Helm in-process and needs no binary; not imported", false)
		case "lockFilePath":
			r.addNote(line, "lockFilePath: kaji does not read helmfile lock files; pin exact chart versions in kaji.yaml", false)
		case "apiVersions", "kubeVersion":
			r.addNote(line, p.key+": kaji renders charts against the cluster's own API versions; not imported", false)
		case "filepath", "missingFileHandler", "missingFileHandlerConfig":
			// filepath is what helmfile build writes about its source; the top-level
			// missingFileHandler is about sub-helmfiles, which are listed on their own.
		default:
			r.addNote(line, fmt.Sprintf("unknown helmfile key %s: not imported", p.key), false)
		}
	}
}

// list returns the items of a list-valued key, noting a value that is not a list.
func (r *reader) list(p pair) []*yaml.Node {
	if isNull(p.value) {
		return nil
	}
	if deref(p.value).Kind != yaml.SequenceNode {
		r.addNote(p.keyN.Line, fmt.Sprintf("%s is %s, not a list: not imported", p.key, describe(p.value)), true)
		return nil
	}
	return items(p.value)
}

// mapping returns the keys of a mapping-valued key, noting a value that is not a mapping.
func (r *reader) mapping(p pair) []pair {
	if isNull(p.value) {
		return nil
	}
	if deref(p.value).Kind != yaml.MappingNode {
		r.addNote(p.keyN.Line, fmt.Sprintf("%s is %s, not a mapping: not imported", p.key, describe(p.value)), true)
		return nil
	}
	return pairs(p.value)
}

// subHelmfiles notes each sub-helmfile: kaji import reads one helmfile at a time.
func (r *reader) subHelmfiles(p pair) {
	for _, h := range items(p.value) {
		path, ok := scalar(h)
		extra := ""
		if !ok {
			for _, k := range pairs(h) {
				switch k.key {
				case "path":
					path, _ = scalar(k.value)
				case "selectors", "values", "selectorsInherited":
					if !isEmpty(k.value) {
						extra = "; its selectors and values do not carry over"
					}
				}
			}
		}
		r.addNote(h.Line, fmt.Sprintf("sub-helmfile %s: helmfile runs it before this file's releases; import it on its own "+
			"(kaji import --from-helmfile %s)%s", path, path, extra), false)
	}
}

// hookMessage describes a helmfile hook, which kaji cannot run.
func hookMessage(h *yaml.Node) string {
	var events, command []string
	for _, p := range pairs(h) {
		switch p.key {
		case "events":
			for _, e := range items(p.value) {
				if s, ok := scalar(e); ok {
					events = append(events, s)
				}
			}
		case "command":
			if s, ok := scalar(p.value); ok {
				command = append([]string{s}, command...)
			}
		case "args":
			for _, a := range items(p.value) {
				if s, ok := scalar(a); ok {
					command = append(command, s)
				}
			}
		}
	}
	return fmt.Sprintf("hook on %s runs `%s`: kaji runs no hooks; run it yourself around kaji apply, or make it a Helm hook in a chart",
		strings.Join(events, ", "), strings.Join(command, " "))
}
