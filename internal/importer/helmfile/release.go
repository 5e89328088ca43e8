package helmfile

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"kaji.dev/kaji/internal/importer"
)

// releaseMeta is what the import keeps about a release besides its kaji form.
type releaseMeta struct {
	line int
	// ctx, ns and name are the release's ID in helmfile, which needs entries refer to; ns is
	// empty when the helmfile gives none.
	ctx, ns, name string
	needs         []need
	notes         []lineNote
}

// need is one needs entry as written.
type need struct {
	text string
	line int
}

// note adds a note about release m.
func (r *reader) note(m *releaseMeta, line int, msg string, blocking bool) {
	m.notes = append(m.notes, lineNote{line: line, note: importer.Note{Where: r.where(line), Message: msg, Blocking: blocking}})
}

// releaseFields returns the keys of a release, with the release templates it inherits from
// (inherit: [{template: name, except: [keys]}]) under its own keys.
func (r *reader) releaseFields(n *yaml.Node, m *releaseMeta) []pair {
	own := pairs(n)
	var base []pair
	for _, p := range own {
		if p.key != "inherit" {
			continue
		}
		for _, in := range items(p.value) {
			var name string
			except := map[string]bool{}
			for _, f := range pairs(in) {
				switch f.key {
				case "template":
					name, _ = scalar(f.value)
				case "except":
					for _, e := range items(f.value) {
						s, _ := scalar(e)
						except[s] = true
					}
				}
			}
			t, ok := r.templates[name]
			if !ok {
				r.note(m, in.Line, fmt.Sprintf("inherit: no release template named %q under templates; nothing inherited", name), true)
				continue
			}
			var kept []pair
			for _, f := range pairs(t) {
				if !except[f.key] {
					kept = append(kept, f)
				}
			}
			base = overlay(base, kept)
		}
	}
	var rest []pair
	for _, p := range own {
		if p.key != "inherit" {
			rest = append(rest, p)
		}
	}
	return overlay(base, rest)
}

// readRelease reads one release. problems are what makes the helmfile unusable (no name, no
// chart), each with file:line.
func (r *reader) readRelease(n *yaml.Node, d defaults, defaultCtx string) (importer.Release, *releaseMeta, []string) {
	m := &releaseMeta{line: n.Line}
	rel := importer.Release{Origin: r.where(n.Line)}
	if deref(n).Kind != yaml.MappingNode {
		return rel, m, []string{fmt.Sprintf("%s: a release is a mapping with a name and a chart, not %s", r.where(n.Line), describe(n))}
	}
	fields := r.releaseFields(n, m)
	handler := "Error"
	var chartLine, nsLine, ctxLine int
	var ctx string
	set := map[string]bool{}
	var valuesField, setField, setStringField *pair
	for i := range fields {
		p := fields[i]
		line := p.keyN.Line
		text, _ := scalar(p.value)
		text = r.tpl.restore(text)
		var err error
		switch p.key {
		case "name":
			rel.Name = text
		case "namespace":
			rel.Namespace, nsLine = text, line
		case "chart":
			rel.Chart, chartLine = text, line
		case "version":
			rel.Version = text
		case "values":
			valuesField = &fields[i]
		case "set":
			setField = &fields[i]
		case "setString":
			setStringField = &fields[i]
		case "needs":
			for _, e := range items(p.value) {
				if s, ok := scalar(e); ok {
					m.needs = append(m.needs, need{text: r.tpl.restore(s), line: e.Line})
				}
			}
		case "installed":
			var b *bool
			if b, err = r.boolField(p); b != nil && !*b {
				rel.Enabled = b
				r.note(m, line, "installed: false: helmfile uninstalls the release on sync; kaji declares it without applying it, "+
					"and kaji apply --prune uninstalls it if it is installed", false)
			}
		case "wait":
			rel.Wait, err = r.boolField(p)
		case "createNamespace":
			rel.CreateNamespace, err = r.boolField(p)
		case "atomic":
			rel.RollbackOnFailure, err = r.boolField(p)
		case "timeout":
			var s *int
			if s, err = r.intField(p); s != nil {
				rel.Timeout = seconds(*s)
			}
		case "historyMax":
			rel.MaxHistory, err = r.intField(p)
		case "takeOwnership":
			var b *bool
			if b, err = r.boolField(p); b != nil {
				rel.Adopt = *b
			}
		case "kubeContext":
			ctx, ctxLine = text, line
		case "missingFileHandler":
			if text != "" {
				handler = text
			}
		case "missingFileHandlerConfig", "inherit":
		case "secrets":
			if !isEmpty(p.value) {
				r.note(m, line, fmt.Sprintf("secrets %s: helm-secrets encrypted values files, which kaji cannot decrypt; "+
					"decrypt them into a values file kept out of git and list it in valuesFiles", strings.Join(r.scalars(p.value), ", ")), true)
			}
		case "hooks":
			for _, h := range items(p.value) {
				r.note(m, h.Line, hookMessage(h), false)
			}
		default:
			if !isEmpty(p.value) {
				r.note(m, line, unsupportedMessage("release", p.key), false)
			}
		}
		if err != nil {
			r.note(m, line, fmt.Sprintf("%s: %v; not imported", p.key, err), true)
		}
		set[p.key] = true
	}
	var problems []string
	if rel.Name == "" {
		problems = append(problems, fmt.Sprintf("%s: release has no name (give it the name of its Helm release)", r.where(n.Line)))
	}
	if r.chart != nil {
		if c, ok := scalar(r.chart); ok && c != "" {
			rel.Chart, chartLine = r.tpl.restore(c), r.chart.Line
		}
	}
	if rel.Chart == "" {
		problems = append(problems, fmt.Sprintf("%s: release %s has no chart (add one: repo/name, a local path or oci://)", r.where(n.Line), rel.Name))
	}
	if len(problems) > 0 {
		return rel, m, problems
	}
	m.name = rel.Name
	r.namespaceOf(&rel, m, nsLine)
	m.ctx = ctx
	if r.kubeContext != nil {
		if s, ok := scalar(r.kubeContext); ok && s != "" {
			m.ctx = r.tpl.restore(s)
		}
	}
	if m.ctx != "" && m.ctx != defaultCtx {
		if ctxLine == 0 {
			ctxLine = n.Line
		}
		r.note(m, ctxLine, fmt.Sprintf("kubeContext %s: the release goes to another cluster than the rest (%s); kaji applies a project to one cluster: "+
			"import this release into a kaji project of its own", m.ctx, orNone(defaultCtx)), true)
	}
	rel.Chart = r.chartRef(rel.Chart, m, chartLine)
	if valuesField != nil {
		r.values(&rel, m, *valuesField, handler)
	}
	sets := map[string]any{}
	if setField != nil {
		r.sets(sets, m, *setField, false)
	}
	if setStringField != nil {
		r.sets(sets, m, *setStringField, true)
	}
	if len(sets) > 0 {
		rel.Values = mergeValues(rel.Values, sets)
	}
	applyDefaults(&rel, d, set)
	return rel, m, nil
}

// namespaceOf sets the release's namespace: the top-level namespace, which overrides every
// release's in helmfile, else its own, else default, the namespace of most kube contexts.
func (r *reader) namespaceOf(rel *importer.Release, m *releaseMeta, nsLine int) {
	if r.namespace != nil {
		if s, ok := scalar(r.namespace); ok && s != "" {
			s = r.tpl.restore(s)
			if rel.Namespace != "" && rel.Namespace != s {
				r.note(m, nsLine, fmt.Sprintf("namespace %s: the top-level namespace %s overrides it, as in helmfile", rel.Namespace, s), false)
			}
			rel.Namespace = s
		}
	}
	m.ns = rel.Namespace
	if rel.Namespace == "" {
		rel.Namespace = "default"
		r.note(m, m.line, "the release has no namespace: helmfile installs it into the kube context's namespace, which is default "+
			"unless the context names another; the import wrote default: change it if the context names another namespace", false)
	}
}

// applyDefaults writes helmDefaults into a release that does not set them, where they differ
// from kaji's defaults.
func applyDefaults(rel *importer.Release, d defaults, set map[string]bool) {
	if d.wait != nil && *d.wait && !set["wait"] {
		rel.Wait = ptr(true)
	}
	if d.atomic != nil && *d.atomic && !set["atomic"] {
		rel.RollbackOnFailure = ptr(true)
	}
	if d.createNamespace != nil && !*d.createNamespace && !set["createNamespace"] {
		rel.CreateNamespace = ptr(false)
	}
	if d.timeout != nil && *d.timeout != kajiTimeoutSeconds && !set["timeout"] {
		rel.Timeout = seconds(*d.timeout)
	}
	if d.historyMax != nil && *d.historyMax != kajiMaxHistory && !set["historyMax"] {
		rel.MaxHistory = ptr(*d.historyMax)
	}
}

// scalars returns the scalar items of a list (or the scalar itself), with templates restored.
func (r *reader) scalars(n *yaml.Node) []string {
	var out []string
	if s, ok := scalar(n); ok {
		return []string{r.tpl.restore(s)}
	}
	for _, e := range items(n) {
		if s, ok := scalar(e); ok {
			out = append(out, r.tpl.restore(s))
		}
	}
	return out
}

func orNone(ctx string) string {
	if ctx == "" {
		return "the current context"
	}
	return ctx
}

func ptr[T any](v T) *T {
	return &v
}
