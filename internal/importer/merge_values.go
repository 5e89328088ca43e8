package importer

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
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
			file := "values/" + base + ".yaml"
			if err := m.addFile(file, fmt.Sprintf("Values of release %s, written by kaji import from %s.", r.Name, rep.Origin), public); err != nil {
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
	file := "values/" + base + ".secret.yaml"
	if err := m.addFile(file, fmt.Sprintf("Values of release %s that look secret, written by kaji import. Not for git: .gitignore lists %s.\nKeep them in a secret store and give this file to kaji where it runs.", r.Name, secretPattern), secret); err != nil {
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

// addFile queues a values file to write. An existing file with other content is replaced
// only with Overwrite.
func (m *merger) addFile(rel, header string, v map[string]any) error {
	data, err := renderValues(header, v)
	if err != nil {
		return err
	}
	path := filepath.Join(m.dir, filepath.FromSlash(rel))
	if have, err := os.ReadFile(path); err == nil && !bytes.Equal(have, data) && !m.opts.Overwrite {
		return fmt.Errorf("%s exists with other content; move it away or import with --overwrite", rel)
	}
	m.files[rel] = data
	return nil
}

// normalizedFiles merges values files (relative to dir) under the inline values, as kaji does.
func normalizedFiles(dir string, files []string, inline map[string]any) (map[string]any, error) {
	layers := layersOf(dir, files, nil)
	layers = append(layers, spec.ValuesLayer{Inline: inline})
	return values.Merge(layers)
}
