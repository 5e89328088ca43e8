package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Written says what Write changed in the output directory.
type Written struct {
	// Files are the files written, by name.
	Files []string
	// Removed are the files of an earlier export that this one no longer has.
	Removed []string
}

// Write writes the files of r into dir, made if missing. The directory belongs to the
// export: a file that an earlier export wrote (a HelmRelease of a release since removed from
// kaji.yaml, say) and that r has not is removed, so that kustomization.yaml and the files
// agree. Other files are left alone.
func Write(dir string, r *Result) (*Written, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("make the output directory: %w", err)
	}
	w := &Written{}
	keep := map[string]bool{}
	for _, f := range r.Files {
		keep[f.Name] = true
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			return w, fmt.Errorf("write the export: %w", err)
		}
		w.Files = append(w.Files, f.Name)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return w, fmt.Errorf("read the output directory: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || keep[e.Name()] || !isExportFile(r.Engine, e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return w, fmt.Errorf("remove %s, which this export no longer writes: %w", e.Name(), err)
		}
		w.Removed = append(w.Removed, e.Name())
	}
	slices.Sort(w.Removed)
	return w, nil
}
