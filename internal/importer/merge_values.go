package importer

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// secretPattern is the .gitignore line that keeps the values an import moved out of git.
const secretPattern = "values/*.secret.yaml"

// placeValues puts a release's values where they go: values/<base>.yaml (or inline with
// InlineValues), and the ones that look secret in values/<base>.secret.yaml, which
// .gitignore lists.
func (m *merger) placeValues(r *spec.Release, rep *ReleaseReport, base string) error {
	public, secret, paths := SplitSecrets(r.Values)
	r.Values = nil
	if len(public) > 0 {
		if m.opts.InlineValues {
			r.Values = public
			rep.Values = "inline"
		} else {
			file, err := m.addFile(r, base, "", fmt.Sprintf("Values of release %s, written by kaji import from %s.", r.Name, rep.Origin), public)
			if err != nil {
				return err
			}
			r.ValuesFiles = append(r.ValuesFiles, file)
			rep.Values = file
		}
	}
	if len(r.ValuesFiles) > 0 && rep.Values == "" {
		rep.Values = strings.Join(r.ValuesFiles, ", ")
	}
	if secret == nil {
		if rep.Values == "" {
			rep.Values = "none"
		}
		return nil
	}
	file, err := m.addFile(r, base, ".secret", fmt.Sprintf("Values of release %s that look secret, written by kaji import. Not for git: .gitignore lists %s.\nKeep them in a secret store and give this file to kaji where it runs.", r.Name, secretPattern), secret)
	if err != nil {
		return err
	}
	r.ValuesFiles = append(r.ValuesFiles, file)
	rep.SecretFile, rep.Secrets = file, paths
	rep.Notes = append(rep.Notes, Note{Message: fmt.Sprintf("values that look secret were written to %s, which git ignores, not to kaji.yaml: %s",
		file, strings.Join(paths, ", "))})
	return nil
}

// placeOverrideValues does for an environment's override what placeValues does for a release:
// the values stay inline (they are the few that differ), the secret ones go to a file.
func (m *merger) placeOverrideValues(o *spec.ReleaseOverride, rep *ReleaseReport, base string) error {
	r := spec.Release{Name: rep.Name, Values: o.Values}
	inline := m.opts.InlineValues
	m.opts.InlineValues = true
	err := m.placeValues(&r, rep, base)
	m.opts.InlineValues = inline
	o.Values, o.ValuesFiles = r.Values, r.ValuesFiles
	return err
}

// addFile queues a values file of release r to write, as values/<base><kind>.yaml, and returns
// its path relative to kaji.yaml. A file of that name that r already lists (a helmfile's own
// values file) or that holds something else is not replaced: values/<base>.kaji<kind>.yaml
// and then numbered names are tried. With Overwrite, a file that kaji.yaml lists for this
// release is replaced.
func (m *merger) addFile(r *spec.Release, base, kind, header string, v map[string]any) (string, error) {
	data, err := renderValues(header, v)
	if err != nil {
		return "", err
	}
	owned := m.declaredFiles(r.Name)
	for i := 0; i < 100; i++ {
		rel := "values/" + base + kind + ".yaml"
		switch {
		case i == 1:
			rel = "values/" + base + ".kaji" + kind + ".yaml"
		case i > 1:
			rel = fmt.Sprintf("values/%s.kaji-%d%s.yaml", base, i, kind)
		}
		if slices.Contains(r.ValuesFiles, rel) {
			continue
		}
		if _, queued := m.files[rel]; queued {
			continue
		}
		have, err := os.ReadFile(filepath.Join(m.dir, filepath.FromSlash(rel)))
		if err == nil && !bytes.Equal(have, data) && !(m.opts.Overwrite && slices.Contains(owned, rel)) {
			continue
		}
		m.files[rel] = data
		return rel, nil
	}
	return "", fmt.Errorf("no free name for the values file of release %s under values/", r.Name)
}

// declaredFiles are the values files kaji.yaml lists for release name, before the import.
func (m *merger) declaredFiles(name string) []string {
	i := m.index(name)
	if i < 0 {
		return nil
	}
	files := slices.Clone(m.doc.File.Releases[i].ValuesFiles)
	if o, ok := m.doc.File.Environments[m.opts.Env].Releases[name]; ok {
		files = append(files, o.ValuesFiles...)
	}
	return files
}

// normalizedFiles merges values files (relative to dir) under the inline values, as kaji does.
func normalizedFiles(dir string, files []string, inline map[string]any) (map[string]any, error) {
	layers := layersOf(dir, files, nil)
	layers = append(layers, spec.ValuesLayer{Inline: inline})
	return values.Merge(layers)
}
