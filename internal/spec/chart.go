package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ChartKind says where a release's chart comes from.
type ChartKind string

const (
	// ChartLocal is a chart directory or .tgz archive on disk; Chart is its absolute path.
	ChartLocal ChartKind = "local"
	// ChartRepo is repo/name from a repository in repositories.
	ChartRepo ChartKind = "repo"
	// ChartOCI is an oci:// reference.
	ChartOCI ChartKind = "oci"
)

// chartRef is a chart reference, classified.
type chartRef struct {
	Kind ChartKind
	// Repo and Name are set for ChartRepo.
	Repo, Name string
	// Path is the absolute path for ChartLocal.
	Path string
}

// classifyChart decides what a chart reference refers to:
//   - oci://... is an OCI reference;
//   - a path starting with ./ ../ / or ~/ is local;
//   - repo/name is a repository chart when repo is a key of repositories;
//   - anything else is a path relative to dir.
func classifyChart(chart string, repos map[string]string, dir string) (chartRef, error) {
	if strings.HasPrefix(chart, "oci://") {
		return chartRef{Kind: ChartOCI}, nil
	}
	if repo, name, ok := strings.Cut(chart, "/"); ok && !explicitlyLocal(chart) {
		if _, known := repos[repo]; known {
			return chartRef{Kind: ChartRepo, Repo: repo, Name: name}, nil
		}
	}
	p, err := absPath(dir, chart)
	if err != nil {
		return chartRef{}, err
	}
	return chartRef{Kind: ChartLocal, Path: p}, nil
}

func explicitlyLocal(p string) bool {
	return p == "." || p == ".." || p == "~" || filepath.IsAbs(p) ||
		strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "/") ||
		strings.HasPrefix(p, "~/")
}

// absPath makes p absolute: ~ and ~/ expand to the home directory, and relative paths are
// taken relative to dir.
func absPath(dir, p string) (string, error) {
	if p == "~" || strings.HasPrefix(p, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("expand %s: %w", p, err)
		}
		p = filepath.Join(home, p[1:])
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p), nil
}

// validateChart checks releases[i].chart.
func (v *validator) validateChart(p path, chart string) {
	if chart == "" {
		v.add(p, "chart is required", "write a local path (./charts/web), repo/name or oci://registry/chart")
		return
	}
	if strings.Contains(chart, "://") && !strings.HasPrefix(chart, "oci://") {
		v.add(p, fmt.Sprintf("chart %q: chart URLs are not supported", chart),
			"add the repository under repositories and write repo/name, or use an oci:// reference")
		return
	}
	ref, err := classifyChart(chart, v.file.Repositories, v.dir)
	if err != nil {
		v.add(p, fmt.Sprintf("chart %q: %v", chart, err), "")
		return
	}
	switch ref.Kind {
	case ChartOCI:
		u, err := url.Parse(chart)
		if err != nil || u.Host == "" || strings.Trim(u.Path, "/") == "" {
			v.add(p, fmt.Sprintf("invalid OCI chart reference %q", chart), "write oci://registry/path/chart")
		}
	case ChartRepo:
		if ref.Name == "" || strings.Contains(ref.Name, "/") {
			v.add(p, fmt.Sprintf("invalid repository chart %q", chart), fmt.Sprintf("write %s/<chart name>", ref.Repo))
		}
	case ChartLocal:
		v.validateLocalChart(p, chart, ref.Path)
	}
}

func (v *validator) validateLocalChart(p path, chart, abs string) {
	info, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		repo, _, hasSlash := strings.Cut(chart, "/")
		if hasSlash && !explicitlyLocal(chart) {
			hint := didYouMean(repo, v.repoNames())
			if hint == "" {
				hint = fmt.Sprintf("add %s under repositories, or write ./%s for a local chart", repo, chart)
			}
			v.add(p, fmt.Sprintf("chart %q: unknown repository %q and no local chart at that path", chart, repo), hint)
			return
		}
		v.add(p, fmt.Sprintf("chart %q does not exist", chart),
			"write a path relative to kaji.yaml's directory, repo/name or oci://registry/chart")
	case err != nil:
		v.add(p, fmt.Sprintf("chart %q cannot be read: %v", chart, err), "")
	case info.IsDir():
		if _, err := os.Stat(filepath.Join(abs, "Chart.yaml")); err != nil {
			v.add(p, fmt.Sprintf("chart %q is a directory without Chart.yaml", chart), "point at the chart's own directory")
		}
	case !strings.HasSuffix(abs, ".tgz") && !strings.HasSuffix(abs, ".tar.gz"):
		v.add(p, fmt.Sprintf("chart %q is neither a chart directory nor a .tgz archive", chart), "")
	}
}

func (v *validator) repoNames() []string {
	names := make([]string, 0, len(v.file.Repositories))
	for name := range v.file.Repositories {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
