package helmfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/strvals"

	"kaji.dev/kaji/internal/importer"
)

// values reads a release's values entries: inline mappings are merged in order into the
// release's values, file paths become values files relative to kaji.yaml.
func (r *reader) values(rel *importer.Release, m *releaseMeta, p pair, handler string) {
	entries := items(p.value)
	if deref(p.value).Kind == yaml.MappingNode {
		entries = []*yaml.Node{p.value}
	}
	inlineLine := 0 // the first inline entry, when one came before a values file
	for _, e := range entries {
		switch deref(e).Kind {
		case yaml.MappingNode:
			v, err := r.plain(e)
			if err != nil {
				r.note(m, e.Line, fmt.Sprintf("inline values: %v; not imported", err), true)
				continue
			}
			if mv, ok := v.(map[string]any); ok && len(mv) > 0 {
				rel.Values = mergeValues(rel.Values, mv)
				if inlineLine == 0 {
					inlineLine = e.Line
				}
			}
		case yaml.ScalarNode:
			if isNull(e) {
				continue
			}
			if file, ok := r.valuesFile(m, e, handler); ok {
				rel.ValuesFiles = append(rel.ValuesFiles, file)
				if inlineLine != 0 {
					r.note(m, e.Line, fmt.Sprintf("values file %s comes after the inline values of line %d; kaji merges inline values over "+
						"every values file, so where both set a key the inline value now wins: check, or move those inline values into a file",
						e.Value, inlineLine), false)
				}
			}
		default:
			r.note(m, e.Line, fmt.Sprintf("values entry is %s, neither a file path nor a mapping; not imported", describe(e)), true)
		}
	}
}

// valuesFile returns a values file's path relative to kaji.yaml, or notes why it cannot be
// one.
func (r *reader) valuesFile(m *releaseMeta, e *yaml.Node, handler string) (string, bool) {
	raw := r.tpl.restore(e.Value)
	switch {
	case strings.Contains(raw, "{{"):
		r.note(m, e.Line, fmt.Sprintf("values file %s: its path is a template; list the file it renders to for each environment "+
			"under environments.<name>.releases.%s.valuesFiles in kaji.yaml", raw, m.name), true)
		return "", false
	case isRemote(raw):
		r.note(m, e.Line, fmt.Sprintf("values file %s is remote, which kaji cannot fetch: download it next to kaji.yaml and list it in valuesFiles", raw), true)
		return "", false
	case strings.HasSuffix(raw, ".gotmpl"):
		r.note(m, e.Line, fmt.Sprintf("values file %s is a helmfile template, which kaji cannot evaluate: write what it renders to "+
			"(helmfile write-values writes it) into a plain values file and list that in valuesFiles", raw), true)
		return "", false
	}
	rel := r.fromKaji(raw)
	if _, err := os.Stat(r.abs(raw)); errors.Is(err, fs.ErrNotExist) {
		if handler != "Error" {
			r.note(m, e.Line, fmt.Sprintf("values file %s does not exist, and helmfile skips it (missingFileHandler: %s); not imported", raw, handler), false)
			return "", false
		}
		r.note(m, e.Line, fmt.Sprintf("values file %s does not exist (kaji looks for it at %s): add it, or remove it from valuesFiles", raw, rel), true)
	}
	return rel, true
}

// isRemote reports whether a values path is a URL or a go-getter source.
func isRemote(p string) bool {
	return strings.Contains(p, "://") || strings.Contains(p, "::")
}

// abs returns a path of the helmfile as an absolute path.
func (r *reader) abs(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(r.dir, filepath.FromSlash(p))
}

// fromKaji rewrites a path of the helmfile (relative to its directory) relative to kaji.yaml's
// directory, with forward slashes; absolute paths stay absolute.
func (r *reader) fromKaji(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	rel, err := filepath.Rel(r.kajiDir, r.abs(p))
	if err != nil {
		return filepath.ToSlash(r.abs(p))
	}
	return filepath.ToSlash(rel)
}

// sets applies set (or setString) entries to vals with Helm's --set (--set-string) rules, as
// helmfile passes them to helm.
func (r *reader) sets(vals map[string]any, m *releaseMeta, p pair, asString bool) {
	for _, e := range items(p.value) {
		var name, value string
		var list []string
		hasValue, hasList := false, false
		for _, f := range pairs(e) {
			switch f.key {
			case "name":
				name, _ = scalar(f.value)
				name = r.tpl.restore(name)
			case "value":
				s, ok := scalar(f.value)
				if !ok && !isNull(f.value) {
					r.note(m, f.keyN.Line, fmt.Sprintf("%s value is %s, not a single value; not imported", p.key, describe(f.value)), true)
					continue
				}
				value, hasValue = r.tpl.restore(s), true
			case "values":
				list, hasList = r.scalars(f.value), true
			case "file":
				file, _ := scalar(f.value)
				r.note(m, f.keyN.Line, fmt.Sprintf("%s %s from file %s: kaji has no --set-file; put the file's content under that key "+
					"in a values file and list it in valuesFiles", p.key, name, file), true)
			default:
				r.note(m, f.keyN.Line, fmt.Sprintf("%s: unknown helmfile key %s; not imported", p.key, f.key), false)
			}
		}
		if name == "" || (!hasValue && !hasList) {
			if name == "" {
				r.note(m, e.Line, fmt.Sprintf("%s entry without a name; not imported", p.key), true)
			}
			continue
		}
		expr := name + "=" + escapeSet(value)
		if hasList {
			escaped := make([]string, len(list))
			for i, v := range list {
				escaped[i] = escapeSet(v)
			}
			expr = name + "={" + strings.Join(escaped, ",") + "}"
		}
		parse := strvals.ParseInto
		if asString {
			parse = strvals.ParseIntoString
		}
		if err := parse(expr, vals); err != nil {
			r.note(m, e.Line, fmt.Sprintf("%s %s: %v; not imported", p.key, name, err), true)
		}
	}
}

// escapeSet escapes a set value as helmfile does before passing it to helm --set, so that
// commas and braces are part of the value.
func escapeSet(v string) string {
	return strings.NewReplacer(",", `\,`, "{", `\{`, "}", `\}`).Replace(v)
}
