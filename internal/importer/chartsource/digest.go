package chartsource

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"kaji.dev/kaji/internal/render"
)

// Digest returns "sha256:<hex>" of the content of c that Helm keeps in a release record and
// that decides its render: Chart.yaml as parsed (name, version, apiVersion, appVersion, type,
// declared dependencies and the rest), Chart.lock, every template (name and bytes), the
// default values as data, values.schema.json, and the other files, crds/ included. Raw
// archive files, modification times and subcharts are left out: Helm does not store them.
func Digest(c *chartv2.Chart) string {
	h := sha256.New()
	for _, e := range contents(c) {
		fmt.Fprintf(h, "%s\x00%s\n", e.path, e.sum)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// entry is one part of a chart's content: a file path and the sha256 of its content.
type entry struct {
	path, sum string
}

// contents lists the parts of c that Digest covers, sorted by path. The chart is first taken
// through Helm's release encoding (JSON) so that both a chart loaded from an archive and one
// read back from a release are compared in the form Helm reads.
func contents(c *chartv2.Chart) []entry {
	if c == nil {
		return nil
	}
	stored, err := storedCopy(c)
	if err != nil {
		return []entry{{path: "Chart.yaml", sum: "unencodable: " + err.Error()}}
	}
	parts := map[string][]byte{}
	parts[chartutil.ChartfileName] = canonicalJSON(stored.Metadata)
	if stored.Lock != nil {
		parts["Chart.lock"] = canonicalJSON(stored.Lock)
	}
	parts[chartutil.ValuesfileName] = []byte("{}") // no values and an empty values.yaml are the same
	if len(stored.Values) > 0 {
		parts[chartutil.ValuesfileName] = canonicalJSON(stored.Values)
	}
	if stored.Schema != nil {
		parts[chartutil.SchemafileName] = stored.Schema
	}
	for _, f := range stored.Templates {
		if f != nil {
			parts[f.Name] = f.Data
		}
	}
	for _, f := range stored.Files {
		if f != nil {
			if _, taken := parts[f.Name]; !taken { // a file cannot shadow the parts above
				parts[f.Name] = f.Data
			}
		}
	}
	out := make([]entry, 0, len(parts))
	for _, p := range slices.Sorted(maps.Keys(parts)) {
		sum := sha256.Sum256(parts[p])
		out = append(out, entry{path: p, sum: hex.EncodeToString(sum[:])})
	}
	return out
}

// storedCopy returns c as Helm reads it back from a release record: encoded to JSON and
// decoded again.
func storedCopy(c *chartv2.Chart) (*chartv2.Chart, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode chart %s as Helm stores it: %w", c.Name(), err)
	}
	var out chartv2.Chart
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decode chart %s as Helm reads it: %w", c.Name(), err)
	}
	return &out, nil
}

// canonicalJSON is v as JSON with sorted map keys, or a marker when v cannot be encoded (which
// a chart read back from JSON never has).
func canonicalJSON(v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		return []byte("unencodable: " + err.Error())
	}
	return data
}

// firstDifference returns the first path, in sorted order, whose content differs between a and
// b or that only one of them has; empty when they are the same.
func firstDifference(a, b []entry) string {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch cmp := strings.Compare(a[i].path, b[j].path); {
		case cmp < 0:
			return a[i].path
		case cmp > 0:
			return b[j].path
		case a[i].sum != b[j].sum:
			return a[i].path
		}
		i++
		j++
	}
	switch {
	case i < len(a):
		return a[i].path
	case j < len(b):
		return b[j].path
	}
	return ""
}

// StoredForm returns c as Helm stores it with a release installed or upgraded with the user
// values config (the release's config, without the chart's defaults): its dependencies
// processed as install does (disabled subcharts dropped, dependencies marked enabled,
// import-values applied, subchart defaults merged into the chart's values), then taken through
// the release encoding. c is not modified. For a chart without dependencies this is c as read
// back from a release, whatever config is.
func StoredForm(c *chartv2.Chart, config map[string]any) (*chartv2.Chart, error) {
	if c == nil || c.Metadata == nil {
		return nil, fmt.Errorf("the chart has no Chart.yaml metadata (load it with its Chart.yaml)")
	}
	work := render.CloneChart(c)
	if config == nil {
		config = map[string]any{}
	}
	if err := chartutil.ProcessDependencies(work, config); err != nil {
		return nil, fmt.Errorf("process the dependencies of chart %s as Helm does on install (check its Chart.yaml and charts/): %w", c.Name(), err)
	}
	return storedCopy(work)
}

// FirstDifference returns the first file, in sorted order, in which the content that Digest
// covers differs between a and b (such as "templates/deployment.yaml", "values.yaml" or
// "Chart.yaml"), or empty when their digests are the same.
func FirstDifference(a, b *chartv2.Chart) string {
	return firstDifference(contents(a), contents(b))
}
