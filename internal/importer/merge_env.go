package importer

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"kaji.dev/kaji/internal/spec"
)

// environment returns the mapping of the import's environment, adding it when missing.
func (m *merger) environment() *yaml.Node {
	envs := ensure(m.root, "environments", yaml.MappingNode)
	if e := get(envs, m.opts.Env); e != nil && e.Kind == yaml.MappingNode {
		return e
	}
	m.dirty = true
	e := mapping()
	if c := m.opts.Cluster; c != nil && !clusterEmpty(*c) {
		set(e, "cluster", clusterNode(*c))
	}
	set(envs, m.opts.Env, e)
	return e
}

// ensureEnvironment declares the import's environment, with the cluster read, when kaji.yaml
// does not have it yet.
func (m *merger) ensureEnvironment() { m.environment() }

// addEnvironments declares environments the source has and kaji.yaml lacks (helmfile).
func (m *merger) addEnvironments(found *Found) {
	if len(found.Environments) == 0 {
		return
	}
	envs := ensure(m.root, "environments", yaml.MappingNode)
	for _, name := range sortedKeys(found.Environments) {
		if get(envs, name) != nil {
			continue
		}
		m.dirty = true
		e := mapping()
		if c := found.Environments[name].Cluster; c != nil && !clusterEmpty(*c) {
			set(e, "cluster", clusterNode(*c))
		}
		set(envs, name, e)
	}
}

// setOverride writes the environment's override of a release, replacing one it had.
func (m *merger) setOverride(name string, o spec.ReleaseOverride, comment []string) {
	rels := ensure(m.environment(), "releases", yaml.MappingNode)
	m.dirty = true
	n := overrideNode(o)
	if len(comment) > 0 {
		n.HeadComment = strings.Join(comment, "\n")
	}
	set(rels, name, n)
}

// disabledIn says whether kaji.yaml disables release name in the import's environment.
func (m *merger) disabledIn(name string) bool {
	if m.doc == nil {
		return false
	}
	if o, ok := m.doc.File.Environments[m.opts.Env].Releases[name]; ok && o.Enabled != nil {
		return !*o.Enabled
	}
	i := m.index(name)
	return i >= 0 && m.doc.File.Releases[i].Enabled != nil && !*m.doc.File.Releases[i].Enabled
}

// override writes what differs between the release as declared (without the environment)
// and as found, as the environment's override.
func (m *merger) override(fr *Release, idx int, want definition, rep *ReleaseReport) error {
	base, err := declared(m.doc, idx, "")
	if err != nil {
		return err
	}
	r := m.doc.File.Releases[idx]
	var o spec.ReleaseOverride
	if base.Version != want.Version {
		// A constraint in the release may resolve to a newer version than the one that runs
		// here: the environment pins what runs.
		o.Version = want.Version
	}
	if base.Namespace != want.Namespace {
		rep.Notes = append(rep.Notes, Note{Blocking: true, Message: fmt.Sprintf(
			"it runs in namespace %s here but kaji.yaml says %s, and an environment cannot change a release's namespace: declare it as a separate release, or move it", want.Namespace, base.Namespace)})
	}
	if fr.Stored != nil && base.ChartName != want.ChartName || fr.Stored == nil && base.Chart != want.Chart {
		rep.Notes = append(rep.Notes, Note{Blocking: true, Message: fmt.Sprintf(
			"it runs chart %s here but kaji.yaml says %s, and an environment cannot change a release's chart", want.ChartName, r.Chart)})
	}
	vals, unset := patch(base.Values, want.Values)
	for _, p := range unset {
		rep.Notes = append(rep.Notes, Note{Blocking: true, Message: fmt.Sprintf(
			"values.%s is set in kaji.yaml but not here; an environment cannot unset a value: move it from the release to the environments that set it", p)})
	}
	o.Values = vals
	if m.disabledIn(fr.Name) {
		on := true
		o.Enabled = &on
	}
	if err := m.placeOverrideValues(&o, rep, fr.Name+"."+m.opts.Env); err != nil {
		return err
	}
	if o.Version == "" && o.Enabled == nil && len(o.Values) == 0 && len(o.ValuesFiles) == 0 {
		return nil // nothing an override can say: the notes above say what to do
	}
	m.setOverride(fr.Name, o, nil)
	return nil
}

// markAbsent disables, in the import's environment, the releases of kaji.yaml that were within
// what the import read but were not found.
func (m *merger) markAbsent(seen map[string]bool) {
	off := false
	for _, r := range m.doc.File.Releases {
		if seen[r.Name] || (m.opts.InScope != nil && !m.opts.InScope(r.Name, r.Namespace)) || m.disabledIn(r.Name) {
			continue
		}
		rep := ReleaseReport{Name: r.Name, Namespace: r.Namespace, Chart: r.Chart, Version: r.Version, Outcome: OutcomeAbsent,
			Origin: "kaji.yaml", Notes: []Note{{Message: fmt.Sprintf("declared in kaji.yaml but not found; disabled in environment %s", m.opts.Env)}}}
		if _, ok := m.doc.File.Environments[m.opts.Env].Releases[r.Name]; ok && !m.opts.Overwrite {
			rep.Outcome = OutcomeDifferent
			rep.Notes = []Note{{Message: fmt.Sprintf("declared in kaji.yaml but not found; environment %s overrides it, so it was left as it is (--overwrite disables it there)", m.opts.Env)}}
			m.report.Releases = append(m.report.Releases, rep)
			continue
		}
		m.setOverride(r.Name, spec.ReleaseOverride{Enabled: &off}, nil)
		m.report.Releases = append(m.report.Releases, rep)
	}
}
