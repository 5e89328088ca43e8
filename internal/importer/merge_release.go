package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"kaji.dev/kaji/internal/spec"
)

// release merges one release found, and reports what it did.
func (m *merger) release(ctx context.Context, fr *Release, envMode bool) (ReleaseReport, error) {
	rep := ReleaseReport{Name: fr.Name, Namespace: fr.Namespace, Chart: fr.Chart, Version: fr.Version, Origin: fr.Origin, Notes: fr.Notes}
	if rep.Chart == "" && fr.Stored != nil && fr.Stored.Metadata != nil {
		rep.Chart = fr.Stored.Metadata.Name
	}
	idx := m.index(fr.Name)
	want, err := m.found(fr)
	if err != nil {
		return rep, err
	}
	switch {
	case idx < 0 && envMode:
		// It runs here only: declared disabled, enabled in this environment.
		off, on := false, true
		if err := m.add(ctx, fr, &rep, -1, &off); err != nil {
			return rep, err
		}
		m.setOverride(fr.Name, spec.ReleaseOverride{Enabled: &on}, nil)
		rep.Outcome = OutcomeOnlyHere
		return rep, nil
	case idx < 0:
		rep.Outcome = OutcomeAdded
		return rep, m.add(ctx, fr, &rep, -1, nil)
	}

	if isPlaceholder(m.doc.File.Releases[idx].Chart) && !isPlaceholder(fr.Chart) && !envMode {
		// An earlier import left its chart to find: what is found now replaces it.
		rep.Outcome = OutcomeReplaced
		return rep, m.add(ctx, fr, &rep, idx, m.doc.File.Releases[idx].Enabled)
	}
	have, err := declared(m.doc, idx, m.opts.Env)
	if err != nil {
		return rep, err
	}
	rep.Chart = m.doc.File.Releases[idx].Chart
	diffs := differences(have, want, fr.Stored == nil)
	if len(diffs) == 0 {
		rep.Outcome = OutcomeUnchanged
		if fr.Adopt && !m.doc.File.Releases[idx].Adopt {
			m.markAdopt(idx)
			rep.Notes = append(rep.Notes, Note{Message: "made by helm or another project: adopt: true was added so that apply takes it over"})
		}
		if envMode && m.disabledIn(fr.Name) {
			rep.Notes = append(rep.Notes, Note{Message: fmt.Sprintf("it runs here, but environment %s disables it in kaji.yaml", m.opts.Env)})
		}
		return rep, nil
	}
	rep.Differences = diffs
	_, overridden := m.doc.File.Environments[m.opts.Env].Releases[fr.Name]
	switch {
	case !envMode && !m.opts.Overwrite, envMode && overridden && !m.opts.Overwrite:
		rep.Outcome = OutcomeDifferent
		rep.Notes = append(rep.Notes, Note{Message: "kaji.yaml declares it otherwise and was left as it is; --overwrite replaces it with what runs"})
		return rep, nil
	case !envMode:
		rep.Outcome = OutcomeReplaced
		return rep, m.add(ctx, fr, &rep, idx, nil)
	}
	rep.Outcome = OutcomeOverridden
	return rep, m.override(fr, idx, want, &rep)
}

// found is the definition of a release found, with its values read as kaji reads them.
func (m *merger) found(fr *Release) (definition, error) {
	v, err := normalized(fr.Values)
	if err != nil {
		return definition{}, err
	}
	if len(fr.ValuesFiles) > 0 {
		files, err := normalizedFiles(m.dir, fr.ValuesFiles, v)
		if err != nil {
			// A values file the source names but kaji cannot read (missing, or a template) is
			// noted by the reader; the comparison goes on with what can be read.
			fr.Notes = append(fr.Notes, Note{Message: fmt.Sprintf("values not compared: %v", err)})
		} else {
			v = files
		}
	}
	d := definition{Namespace: fr.Namespace, Chart: fr.Chart, Version: fr.Version, Values: v}
	if fr.Stored != nil && fr.Stored.Metadata != nil {
		d.ChartName = fr.Stored.Metadata.Name
	} else {
		d.ChartName = chartName(m.dir, fr.Chart)
	}
	return d, nil
}

// index is the position of release name in kaji.yaml, or -1.
func (m *merger) index(name string) int {
	if m.doc == nil {
		return -1
	}
	return slices.IndexFunc(m.doc.File.Releases, func(r spec.Release) bool { return r.Name == name })
}

// add writes a release found into the releases of kaji.yaml: appended when at is negative,
// else in place of the release at that index.
func (m *merger) add(ctx context.Context, fr *Release, rep *ReleaseReport, at int, enabled *bool) error {
	r := fr.Release
	r.Enabled = enabled
	if err := m.chart(ctx, fr, &r, rep); err != nil {
		return err
	}
	if err := m.placeValues(&r, rep, r.Name); err != nil {
		return err
	}
	rep.Chart, rep.Version = r.Chart, r.Version
	m.dirty = true
	node := releaseNode(r)
	seq := ensure(m.root, "releases", yaml.SequenceNode)
	if at >= 0 && at < len(seq.Content) {
		node.HeadComment = seq.Content[at].HeadComment
		seq.Content[at] = node
		return nil
	}
	seq.Content = append(seq.Content, node)
	return nil
}

// chart decides the chart reference of a release found on the cluster: a repository whose
// chart has the stored content, else the stored chart written out beside kaji.yaml.
func (m *merger) chart(ctx context.Context, fr *Release, r *spec.Release, rep *ReleaseReport) error {
	if fr.Stored == nil {
		if repo, _, ok := strings.Cut(r.Chart, "/"); ok && !strings.HasPrefix(r.Chart, "oci://") {
			m.useRepository(repo, m.findURL(repo))
		}
		rep.Source = "as declared in " + fr.Origin
		return nil
	}
	if m.opts.Charts == nil {
		return fmt.Errorf("no chart source finder for a chart stored in the cluster")
	}
	ref, how, err := m.opts.Charts.Find(ctx, fr.Stored, fr.Values, m.candidates)
	if err != nil {
		return err
	}
	if ref != "" {
		r.Chart = ref
		if repo, _, ok := strings.Cut(ref, "/"); ok && !strings.HasPrefix(ref, "oci://") {
			m.useRepository(repo, m.candidates[repo])
		}
		rep.Source = how
		return nil
	}
	local, err := m.opts.Charts.WriteLocal(m.dir, fr.Stored)
	if err != nil {
		// The stored chart cannot be written out exactly (Helm does not store subcharts):
		// the release is declared with a placeholder chart a person replaces.
		meta := fr.Stored.Metadata
		r.Chart = fmt.Sprintf("<chart-import: %s %s from a repository>", meta.Name, meta.Version)
		rep.Source = how
		rep.Notes = append(rep.Notes, Note{Blocking: true, Message: fmt.Sprintf(
			"no chart source: %s; %v. Import again with --repo NAME=URL of the repository that publishes %s %s, or set chart: to it by hand",
			how, err, meta.Name, meta.Version)})
		return nil
	}
	r.Chart = local
	m.report.Written = append(m.report.Written, strings.TrimPrefix(local, "./")+"/")
	rep.Source = fmt.Sprintf("the chart stored in the release, written out to %s (%s); to take it from a repository instead, add the repository under repositories (or import again with --repo NAME=URL) and set chart: NAME/%s",
		local, how, fr.Stored.Metadata.Name)
	return nil
}

func (m *merger) findURL(repo string) string {
	return m.foundRepos[repo]
}

// useRepository adds a repository that a written release refers to.
func (m *merger) useRepository(name, url string) {
	if url == "" {
		return
	}
	if have, ok := m.repos[name]; ok && have == url {
		return
	}
	m.repos[name] = url
	m.dirty = true
	set(ensureBefore(m.root, "repositories", "releases"), name, scalar(url))
}

// markAdopt adds adopt: true to release idx of kaji.yaml, after its chart.
func (m *merger) markAdopt(idx int) {
	seq := get(m.root, "releases")
	if seq == nil || idx >= len(seq.Content) {
		return
	}
	n := seq.Content[idx]
	if get(n, "adopt") != nil {
		set(n, "adopt", encode(true))
	} else {
		insertAfter(n, "adopt", encode(true), "version", "chart")
	}
	m.dirty = true
}
