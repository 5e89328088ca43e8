package chartsource

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"sigs.k8s.io/yaml"
)

// LocalDir is the directory, relative to kaji.yaml, that WriteLocal writes charts under.
const LocalDir = "charts"

// SubchartsNotStoredError is a stored chart that declares dependencies: Helm keeps none of its
// subcharts with the release, so the chart cannot be written out whole.
type SubchartsNotStoredError struct {
	// Chart and Version name the stored chart.
	Chart, Version string
	// Subcharts are the declared dependencies, as name version (repository).
	Subcharts []string
}

func (e *SubchartsNotStoredError) Error() string {
	return fmt.Sprintf("chart %s %s has subcharts (%s), which Helm does not keep with a release, so it cannot be "+
		"written out from the cluster (give the repository it is published in with --repo name=url so that it "+
		"is referenced from there, or put the chart with its subcharts under %s/ and point the release at it)",
		e.Chart, e.Version, strings.Join(e.Subcharts, ", "), LocalDir)
}

// LocalExistsError is a local chart directory that already holds other content than the
// chart to be written.
type LocalExistsError struct {
	// Dir is the directory; Want is the digest of the chart to be written, Got the digest of
	// the directory's chart, or empty when it holds no chart.
	Dir, Want, Got string
	// File is the first file that differs, when the directory holds a chart.
	File string
	// Err is why the directory could not be loaded as a chart, if it could not.
	Err error
}

func (e *LocalExistsError) Error() string {
	what := "another chart"
	switch {
	case e.Err != nil:
		what = fmt.Sprintf("something that is not a chart (%v)", e.Err)
	case e.File != "":
		what = "another chart (" + e.File + " differs)"
	}
	return fmt.Sprintf("%s already holds %s, which kaji does not overwrite (move it away and import again, "+
		"or point the release at it yourself if it is the chart you want)", e.Dir, what)
}

func (e *LocalExistsError) Unwrap() error { return e.Err }

// WriteLocal writes the stored chart of a release to charts/<name>-<version>/ under kajiDir, laid
// out as Helm lays out a chart directory (subcharts, when the chart carries them, as archives
// under its charts/), and returns the path as a release's chart refers to it:
// ./charts/<name>-<version>. values.yaml holds the default values Helm stored, which keep
// their data but not the comments and order of the original file. A directory that already
// holds the same chart (by Digest) is reused; one that holds anything else is a
// *LocalExistsError. A chart that declares dependencies whose subcharts it does not carry, as
// any chart read back from a release that has dependencies, is a *SubchartsNotStoredError.
func WriteLocal(kajiDir string, stored *chartv2.Chart) (string, error) {
	if stored == nil || stored.Metadata == nil {
		return "", errors.New("the stored chart has no Chart.yaml metadata (the release record is incomplete)")
	}
	name, version := stored.Metadata.Name, stored.Metadata.Version
	if !plainName(name) || !plainName(version) {
		return "", fmt.Errorf("the stored chart has name %q and version %q, which cannot name a directory "+
			"(fix the chart's Chart.yaml and write it out yourself)", name, version)
	}
	if len(stored.Metadata.Dependencies) > 0 && len(stored.Dependencies()) == 0 {
		e := &SubchartsNotStoredError{Chart: name, Version: version}
		for _, d := range stored.Metadata.Dependencies {
			if d != nil {
				e.Subcharts = append(e.Subcharts, strings.TrimSpace(fmt.Sprintf("%s %s (%s)", d.Name, d.Version, d.Repository)))
			}
		}
		return "", e
	}
	base := name + "-" + version
	rel := "./" + path.Join(LocalDir, base)
	dir := filepath.Join(kajiDir, LocalDir, base)

	switch _, err := os.Lstat(dir); {
	case err == nil:
		return rel, checkExisting(dir, stored)
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("check %s (check the permissions of the directory): %w", dir, err)
	}

	parent := filepath.Join(kajiDir, LocalDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("create %s (check the permissions of the directory): %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+base+"-")
	if err != nil {
		return "", fmt.Errorf("create a temporary directory in %s (check the permissions of the directory): %w", parent, err)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	if err := saveDir(stored, tmp); err != nil {
		return "", fmt.Errorf("write chart %s %s to %s (check the free space and permissions): %w", name, version, tmp, err)
	}
	if err := os.Rename(filepath.Join(tmp, name), dir); err != nil {
		return "", fmt.Errorf("move the written chart to %s (check the permissions of %s): %w", dir, parent, err)
	}
	return rel, nil
}

// checkExisting returns nil when dir holds the chart stored, else a *LocalExistsError.
func checkExisting(dir string, stored *chartv2.Chart) error {
	want := contents(stored)
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return &LocalExistsError{Dir: dir, Want: Digest(stored), Err: err}
	}
	if diff := firstDifference(contents(ch), want); diff != "" {
		return &LocalExistsError{Dir: dir, Want: Digest(stored), Got: Digest(ch), File: diff}
	}
	return nil
}

// saveDir writes c to dest/<name> with Helm's SaveDir, adding what SaveDir writes only from
// the raw archive files, which a stored chart lacks: values.yaml from the parsed default
// values, and Chart.lock.
func saveDir(c *chartv2.Chart, dest string) error {
	values, err := yaml.Marshal(c.Values)
	if err != nil {
		return fmt.Errorf("encode the default values: %w", err)
	}
	if len(c.Values) == 0 {
		values = nil
	}
	header := fmt.Sprintf("# Default values of chart %s %s as Helm stored them with the release: their data is\n"+
		"# the original's, their comments and order are not.\n", c.Name(), c.Metadata.Version)
	values = append([]byte(header), values...)
	out := *c
	out.Raw = []*common.File{{Name: chartutil.ValuesfileName, Data: values}}
	if err := chartutil.SaveDir(&out, dest); err != nil {
		return err
	}
	if c.Lock != nil && c.Metadata.APIVersion != chartv2.APIVersionV1 {
		lock, err := yaml.Marshal(c.Lock)
		if err != nil {
			return fmt.Errorf("encode Chart.lock: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dest, c.Name(), "Chart.lock"), lock, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// plainName reports whether s can be one element of a path.
func plainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`) && !strings.ContainsRune(s, 0)
}
