package unused

import (
	"fmt"
	"path"
	"strings"
	"text/template/parse"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
)

// chartModel is what the analysis knows about a chart whatever the values: its subcharts, the
// keys its defaults and schemas declare, and its parsed templates. It is built once per chart
// and read concurrently afterwards.
type chartModel struct {
	root   *scope
	scopes []*scope
	// static holds the keys of the defaults and schemas of every chart in the tree, in the
	// terms of the root chart's values, plus the keys Helm itself reads (conditions and tags).
	static *staticNode
	// defines maps a template name (a define, or a file's full path) to its parsed bodies. A
	// name defined by several charts has several bodies.
	defines map[string][]*parse.Tree
	// refs are the .Values references of all templates; guards are the guards of the scopes'
	// templates (nil for the root chart's).
	refs   *refIndex
	guards map[*scope]*guard
}

// scope is one chart in the tree as Helm renders it: the root chart or a subchart under its
// effective name (alias or name).
type scope struct {
	id     int
	prefix []string // where its values live in the root chart's values
	name   string
	chart  *chartv2.Chart
	parent *scope
	// dep declares the subchart in its parent's Chart.yaml; nil for the root chart and for a
	// subchart in charts/ that Chart.yaml does not declare.
	dep     *chartv2.Dependency
	library bool
	// fullPath is the chart's path in template names, such as "prometheus/charts/alertmanager".
	fullPath string
	// entries are the templates Helm renders on their own: every file whose name does not
	// start with "_".
	entries []entry
}

type entry struct {
	name string // full template name, such as "prometheus/templates/service.yaml"
	tree *parse.Tree
}

// label names the chart of a scope as a path of chart names, such as "prometheus/alertmanager".
func (s *scope) label() string {
	if s.parent == nil {
		return s.name
	}
	return s.parent.label() + "/" + s.name
}

// buildModel parses the templates of ch and its subcharts, collects the keys their defaults
// and schemas declare, and walks the templates for their references to .Values.
func buildModel(ch *chartv2.Chart) (*chartModel, error) {
	m := &chartModel{static: &staticNode{}, defines: map[string][]*parse.Tree{}}
	parsed := map[*chartv2.Chart]*parsedChart{}
	var add func(c *chartv2.Chart, parent *scope, dep *chartv2.Dependency, name string) error
	add = func(c *chartv2.Chart, parent *scope, dep *chartv2.Dependency, name string) error {
		s := &scope{id: len(m.scopes), name: name, chart: c, parent: parent, dep: dep}
		s.library = c.Metadata != nil && c.Metadata.Type == "library"
		if parent == nil {
			s.fullPath = name
		} else {
			s.prefix = concat(parent.prefix, name)
			s.fullPath = parent.fullPath + "/charts/" + name
		}
		m.scopes = append(m.scopes, s)
		if parent == nil {
			m.root = s
		}
		pc, ok := parsed[c]
		if !ok {
			var err error
			if pc, err = parseChart(c); err != nil {
				return err
			}
			parsed[c] = pc
		}
		for name, trees := range pc.defines {
			m.defines[name] = append(m.defines[name], trees...)
		}
		for _, f := range pc.files {
			full := path.Join(s.fullPath, f.name)
			m.defines[full] = append(m.defines[full], f.tree)
			if !s.library && !strings.HasPrefix(path.Base(f.name), "_") {
				s.entries = append(s.entries, entry{name: full, tree: f.tree})
			}
		}
		m.static.addValues(s.prefix, c.Values, s.parent != nil)
		if len(c.Schema) > 0 {
			if err := m.static.addSchema(s.prefix, c.Schema); err != nil {
				return fmt.Errorf("schema of chart %s: %w", s.label(), err)
			}
		}
		for _, sub := range subcharts(c) {
			for _, p := range sub.reads {
				m.static.node(concat(s.prefix, p...)).helmRead = true
			}
			if err := add(sub.chart, s, sub.dep, sub.name); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(ch, nil, nil, ch.Name()); err != nil {
		return nil, err
	}
	m.refs = walkChart(m)
	return m, nil
}

// subchart is a dependency of a chart as Helm resolves it.
type subchart struct {
	name  string
	chart *chartv2.Chart
	dep   *chartv2.Dependency
	// reads are the value paths, relative to the parent, that Helm reads to enable it.
	reads [][]string
}

// subcharts resolves the dependencies of c as Helm's dependency processing does: a declared
// dependency matches a chart in charts/ by name and version and takes its alias; a chart in
// charts/ that nothing declares is used under its own name.
func subcharts(c *chartv2.Chart) []subchart {
	var out []subchart
	used := map[*chartv2.Chart]bool{}
	if c.Metadata != nil {
		for _, d := range c.Metadata.Dependencies {
			if d == nil {
				continue
			}
			for _, sub := range c.Dependencies() {
				if sub == nil || sub.Name() != d.Name || !chartutil.IsCompatibleRange(d.Version, sub.Metadata.Version) {
					continue
				}
				used[sub] = true
				name := d.Name
				if d.Alias != "" {
					name = d.Alias
				}
				s := subchart{name: name, chart: sub, dep: d}
				for c := range strings.SplitSeq(d.Condition, ",") {
					if c = strings.TrimSpace(c); c != "" {
						s.reads = append(s.reads, strings.Split(c, "."))
					}
				}
				for _, t := range d.Tags {
					s.reads = append(s.reads, []string{"tags", t})
				}
				out = append(out, s)
				break
			}
		}
	}
	for _, sub := range c.Dependencies() {
		if sub != nil && !used[sub] && !declared(c, sub) {
			out = append(out, subchart{name: sub.Name(), chart: sub})
		}
	}
	return out
}

// declared reports whether Chart.yaml of c declares a dependency that matches sub by name and
// version; such a chart is used only through its declaration.
func declared(c *chartv2.Chart, sub *chartv2.Chart) bool {
	if c.Metadata == nil {
		return false
	}
	for _, d := range c.Metadata.Dependencies {
		if d != nil && d.Name == sub.Name() && chartutil.IsCompatibleRange(d.Version, sub.Metadata.Version) {
			return true
		}
	}
	return false
}

// parsedChart holds the parse trees of one chart's templates.
type parsedChart struct {
	files   []parsedFile
	defines map[string][]*parse.Tree
}

type parsedFile struct {
	name string // relative to the chart, such as "templates/service.yaml"
	tree *parse.Tree
}

// parseChart parses every template of c with text/template/parse, without checking function
// names: Helm's parse of the same text succeeded or the render fails anyway.
func parseChart(c *chartv2.Chart) (*parsedChart, error) {
	pc := &parsedChart{defines: map[string][]*parse.Tree{}}
	for _, f := range c.Templates {
		if f == nil {
			continue
		}
		set := map[string]*parse.Tree{}
		t := parse.New(f.Name)
		t.Mode = parse.SkipFuncCheck
		if _, err := t.Parse(string(f.Data), "", "", set); err != nil {
			return nil, fmt.Errorf("parse template %s of chart %s: %w", f.Name, c.Name(), err)
		}
		for name, tree := range set {
			if name == f.Name {
				pc.files = append(pc.files, parsedFile{name: f.Name, tree: tree})
				continue
			}
			pc.defines[name] = append(pc.defines[name], tree)
		}
	}
	return pc, nil
}
