package importer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"kaji.dev/kaji/internal/spec"
)

// write writes the values files, .gitignore and kaji.yaml. kaji.yaml is written last, through
// a temporary file that must load as a valid kaji.yaml before it takes the place of the old
// one, so that an import never leaves a broken kaji.yaml behind.
func (m *merger) write() error {
	created := map[string]bool{} // files that did not exist before, removed when kaji.yaml is refused
	for _, rel := range sortedKeys(m.files) {
		path := filepath.Join(m.dir, filepath.FromSlash(rel))
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			created[path] = true
		}
		if err := writeFile(path, m.files[rel]); err != nil {
			m.undo(created)
			return err
		}
		m.report.Written = append(m.report.Written, rel)
	}
	if !m.changed() {
		return m.ignoreSecretsIfNeeded()
	}
	data, err := render(m.tree)
	if err != nil {
		m.undo(created)
		return err
	}
	target := filepath.Join(m.dir, filepath.Base(m.opts.File))
	tmp := filepath.Join(m.dir, "."+filepath.Base(m.opts.File)+".import")
	if err := os.MkdirAll(m.dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", m.dir, err)
	}
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		m.undo(created)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	defer os.Remove(tmp)
	if _, err := spec.Load(tmp); err != nil {
		msg := strings.ReplaceAll(err.Error(), tmp, m.opts.File)
		var problems spec.Problems
		if !errors.As(err, &problems) || !OnlyPlaceholders(problems) {
			m.undo(created)
			return fmt.Errorf("the kaji.yaml import would write does not load, so nothing was written: %s", msg)
		}
		m.report.Notes = append(m.report.Notes, Note{Blocking: true, Where: m.opts.File,
			Message: "kaji.yaml does not validate until the placeholders above are resolved: " + msg})
	}
	if err := os.Rename(tmp, target); err != nil {
		m.undo(created)
		return fmt.Errorf("write %s: %w", m.opts.File, err)
	}
	m.report.Written = append([]string{filepath.Base(m.opts.File)}, m.report.Written...)
	return m.ignoreSecretsIfNeeded()
}

// undo removes the files a refused import created.
func (m *merger) undo(created map[string]bool) {
	for path := range created {
		os.Remove(path)
	}
	m.report.Written = nil
}

func (m *merger) ignoreSecretsIfNeeded() error {
	if !m.needsIgnore() {
		return nil
	}
	return m.ignoreSecrets()
}

// changed says whether kaji.yaml needs writing.
func (m *merger) changed() bool { return m.doc == nil || m.dirty }

func (m *merger) needsIgnore() bool {
	for rel := range m.files {
		if strings.HasSuffix(rel, ".secret.yaml") {
			return true
		}
	}
	return false
}

// ignoreSecrets makes sure the .gitignore beside kaji.yaml lists the secret values files.
func (m *merger) ignoreSecrets() error {
	path := filepath.Join(m.dir, ".gitignore")
	have, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read %s: %w", path, err)
	}
	for _, line := range strings.Split(string(have), "\n") {
		if strings.TrimSpace(line) == secretPattern {
			return nil
		}
	}
	out := string(have)
	if out != "" && !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	out += "# values that look secret, written by kaji import\n" + secretPattern + "\n"
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	m.report.Written = append(m.report.Written, ".gitignore")
	return nil
}

// writeFile writes a file through a temporary one in the same directory. Secret files are
// readable by their owner only.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	mode := os.FileMode(0o644)
	if strings.HasSuffix(path, ".secret.yaml") {
		mode = 0o600
	}
	tmp := path + ".import"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
