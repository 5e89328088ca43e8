package helmfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// chartRef returns a release's chart in kaji's terms: repo/name for a chart of a declared
// repository (an oci: true one included), oci:// as is, and a local chart as a path relative to
// kaji.yaml that starts with ./ or ../. What kaji cannot resolve is noted.
func (r *reader) chartRef(chart string, m *releaseMeta, line int) string {
	switch {
	case strings.Contains(chart, "{{"):
		return chart // its template note says what to do
	case strings.HasPrefix(chart, "oci://"):
		return chart
	case isRemote(chart):
		r.note(m, line, fmt.Sprintf("chart %s is fetched by a Helm plugin or go-getter, which kaji cannot do: kaji reads repo/name, "+
			"oci:// and local charts; vendor the chart as a local chart or publish it to a repository", chart), true)
		return chart
	case isLocal(chart):
		return r.localChart(chart, m, line)
	}
	repo, _, hasSlash := strings.Cut(chart, "/")
	if hasSlash {
		if _, ok := r.found.Repositories[repo]; ok {
			return chart
		}
		if r.unreadable[repo] {
			r.note(m, line, fmt.Sprintf("chart %s comes from repository %s, which kaji cannot read (see the repository's note)", chart, repo), true)
			return chart
		}
	}
	if _, err := os.Stat(r.abs(chart)); err == nil {
		return r.localChart(chart, m, line)
	}
	if hasSlash {
		r.note(m, line, fmt.Sprintf("chart %s: repository %s is not declared in this helmfile (it may come from a base or from helm repo add): "+
			"add it to kaji.yaml's repositories", chart, repo), true)
		return chart
	}
	r.note(m, line, fmt.Sprintf("chart %s is neither repo/name nor a local chart next to the helmfile: write repo/name, oci:// or the chart's path", chart), true)
	return chart
}

// isLocal reports whether a chart is written as a path.
func isLocal(chart string) bool {
	return chart == "." || chart == ".." || filepath.IsAbs(chart) ||
		strings.HasPrefix(chart, "./") || strings.HasPrefix(chart, "../") || strings.HasPrefix(chart, "~/")
}

// localChart rewrites a local chart relative to kaji.yaml, noting one that does not exist.
func (r *reader) localChart(chart string, m *releaseMeta, line int) string {
	if strings.HasPrefix(chart, "~/") || filepath.IsAbs(chart) {
		return chart
	}
	rel := r.fromKaji(chart)
	switch {
	case rel == ".":
		rel = "./"
	case !strings.HasPrefix(rel, "../") && rel != ".." && !filepath.IsAbs(rel):
		rel = "./" + rel
	}
	if _, err := os.Stat(r.abs(chart)); err != nil {
		r.note(m, line, fmt.Sprintf("local chart %s does not exist (kaji looks for it at %s): add it, or point chart at it", chart, rel), true)
	}
	return rel
}
