package savedplan

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"kaji.dev/kaji/internal/plan"
)

// Source is what a plan was computed from, besides the cluster's state that the plan itself
// carries.
type Source struct {
	KajiVersion string
	Cluster     Cluster
	// KajiYAML is the path of kaji.yaml; ValuesFiles those of the values files the plan read;
	// Lock that of kaji.lock, which may not exist.
	KajiYAML    string
	ValuesFiles []string
	Lock        string
	Selection   Selection
	Options     Options
	// Created is when the plan was made.
	Created time.Time
}

// New returns the saved form of p, computed from src: the files are read again for their
// digests.
func New(p *plan.Plan, src Source) (*File, error) {
	f := &File{
		APIVersion: APIVersion, Kind: Kind,
		KajiVersion: src.KajiVersion, Created: src.Created.UTC().Truncate(time.Second),
		Project: p.Project, Environment: p.Environment,
		Cluster: src.Cluster, Selection: src.Selection, Options: src.Options,
		Changes: p.HasChanges(),
	}
	dir := filepath.Dir(src.KajiYAML)
	paths := []string{src.KajiYAML}
	values := slices.Clone(src.ValuesFiles)
	slices.Sort(values)
	paths = append(paths, slices.Compact(values)...)
	if src.Lock != "" {
		paths = append(paths, src.Lock)
	}
	for _, path := range paths {
		d, err := digestFile(path)
		if err != nil {
			return nil, err
		}
		d.Path = relativeTo(dir, path)
		f.Files = append(f.Files, d)
	}
	for _, r := range p.Releases {
		f.Releases = append(f.Releases, releaseOf(r))
	}
	return f, nil
}

// releaseOf is the saved form of the plan of one release.
func releaseOf(r plan.Release) Release {
	out := Release{
		Name: r.Name, Namespace: r.Namespace, State: string(r.State), Action: string(r.Action), Reason: r.Reason,
		Chart: r.Chart, Version: r.Version,
		Desired: r.Fingerprint.Desired, Live: r.Fingerprint.Live,
	}
	if r.Current != nil {
		out.Revision, out.Status = r.Current.Number, r.Current.Status
	}
	for _, o := range r.Fingerprint.Objects {
		out.Objects = append(out.Objects, Object{
			Group: o.Object.Group, Kind: o.Object.Kind, Namespace: o.Object.Namespace, Name: o.Object.Name,
			UID: o.UID, ResourceVersion: o.ResourceVersion,
		})
	}
	return out
}

// digestFile returns the digest of the file at path, or that it is absent.
func digestFile(path string) (FileDigest, error) {
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return FileDigest{Absent: true}, nil
	}
	if err != nil {
		return FileDigest{}, fmt.Errorf("read %s for the plan's digests: %w", path, err)
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return FileDigest{}, fmt.Errorf("read %s for the plan's digests: %w", path, err)
	}
	return FileDigest{SHA256: "sha256:" + hex.EncodeToString(h.Sum(nil))}, nil
}

// relativeTo is path relative to dir, with ../ where it is outside dir, so that the plan
// holds no absolute path of the machine that made it and is checked the same from another
// checkout. A path on another volume stays absolute.
func relativeTo(dir, path string) string {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

// resolve is the path of a saved file, relative to dir.
func resolve(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, filepath.FromSlash(path))
}
