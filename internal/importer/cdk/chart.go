package cdk

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"kaji.dev/kaji/internal/importer"
	"kaji.dev/kaji/internal/spec"
)

// retainedMessage is the note on a release whose HelmChart CloudFormation already retains.
const retainedMessage = "the HelmChart's removal policy is already RETAIN: removing it from the CDK app leaves the release on the cluster"

// release builds one release out of the properties of a HelmChart resource.
type release struct {
	s     *scope
	where string
	props map[string]any
	rel   importer.Release
}

// field evaluates property key to text; what cannot be resolved becomes a placeholder with a
// blocking note on the release that names the kaji.yaml field.
func (b *release) field(field, key string) string {
	var r resolver
	text := r.str(b.s, b.props[key])
	b.block(field, r.missing)
	return text
}

func (b *release) block(field string, missing []unresolved) {
	for _, m := range missing {
		b.note(true, "%s: %s stands for %s", field, m.text, m.hint)
	}
}

func (b *release) note(blocking bool, format string, args ...any) {
	b.rel.Notes = append(b.rel.Notes, importer.Note{Where: b.where, Message: fmt.Sprintf(format, args...), Blocking: blocking})
}

// flag reads a boolean property: CDK writes true, or leaves false out; CloudFormation hands
// the handler strings, so "true" and "false" count too.
func (b *release) flag(field, key string) (value, set bool) {
	v, ok := b.props[key]
	if !ok || v == nil {
		return false, false
	}
	if v, isBool := v.(bool); isBool {
		return v, true
	}
	text := b.field(field, key)
	switch strings.ToLower(text) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if !IsPlaceholder(text) {
		b.note(true, "%s: %s is %q, neither true nor false: set it by hand", field, key, text)
	}
	return false, false
}

// chart turns HelmChart resource id of scope s into a release.
func (rd *reader) chart(s *scope, id string, res resourceJSON) {
	b := &release{s: s, where: s.file + ": " + id, props: res.Properties}
	if b.props == nil {
		b.props = map[string]any{}
	}
	b.rel.Origin = b.where

	b.rel.Name = b.field("name", "Release")
	if b.rel.Name == "" {
		b.note(true, "name: the HelmChart has no Release: write the name the release has on the cluster")
	}
	b.rel.Namespace = "default" // the handler's default, which CDK writes out anyway
	if _, ok := b.props["Namespace"]; ok {
		b.rel.Namespace = b.field("namespace", "Namespace")
	}
	rd.chartSource(b)
	b.rel.Version = b.field("version", "Version")
	b.values()

	if wait, _ := b.flag("wait", "Wait"); wait {
		b.rel.Wait = &wait
	}
	if atomic, _ := b.flag("rollbackOnFailure", "Atomic"); atomic {
		b.rel.RollbackOnFailure = &atomic
	}
	if skip, _ := b.flag("crds", "SkipCrds"); skip {
		b.rel.CRDs = spec.CRDsSkip
	}
	// CDK writes CreateNamespace only when true; without it the handler passes no
	// --create-namespace. kaji creates namespaces by default, so only false is written.
	if create, _ := b.flag("createNamespace", "CreateNamespace"); !create {
		b.rel.CreateNamespace = &create
	}
	if _, ok := b.props["Timeout"]; ok {
		b.rel.Timeout = b.field("timeout", "Timeout")
		if d, err := time.ParseDuration(b.rel.Timeout); !IsPlaceholder(b.rel.Timeout) && (err != nil || d <= 0) {
			b.note(true, "timeout: %q is not a duration: write one such as 300s or 10m", b.rel.Timeout)
		}
	}
	if res.DeletionPolicy == "Retain" {
		b.note(false, "%s", retainedMessage)
	}
	rd.seeCluster(b)
	rd.found.Releases = append(rd.found.Releases, b.rel)
}

// chartSource sets the release's chart from Chart, Repository and ChartAssetURL.
func (rd *reader) chartSource(b *release) {
	chart := b.field("chart", "Chart")
	repo := b.field("chart", "Repository")
	switch {
	case b.props["ChartAssetURL"] != nil:
		rd.assetChart(b)
	case strings.HasPrefix(repo, "oci://"):
		// The handler pulls the repository URL itself: it names the chart.
		b.rel.Chart = strings.TrimRight(repo, "/")
		if chart != "" && path.Base(b.rel.Chart) != chart {
			b.rel.Chart += "/" + chart
			b.note(false, "chart: the OCI repository %s does not end in the chart's name %s; kaji uses %s: check that it is the chart the release runs", repo, chart, b.rel.Chart)
		}
	case repo != "":
		name := importer.RepositoryName(rd.found.Repositories, repo)
		b.rel.Chart = name + "/" + chart
	case strings.HasPrefix(chart, "oci://"):
		b.rel.Chart = chart
	default:
		b.rel.Chart = chart
		b.note(true, "chart: %q comes with no repository: set chart to repo/name with the repository it comes from, an oci:// reference, or a path to the chart's files", chart)
	}
}

// assetChart notes a chart that CDK uploads to S3 as an asset: kaji cannot read it there.
func (rd *reader) assetChart(b *release) {
	url := b.field("chart", "ChartAssetURL")
	b.rel.Chart = placeholder("ChartAssetURL " + url)
	hash := strings.TrimSuffix(path.Base(url), ".zip")
	from := ""
	if a, ok := rd.assets[hash]; ok {
		from = fmt.Sprintf(" (asset %s, packaged from %s)", a.name, rd.show(a.path))
	}
	b.note(true, "chart: the chart is the S3 asset %s%s, which kaji does not read: "+
		"put the chart's directory next to kaji.yaml and set chart to its path (such as ./charts/%s), "+
		"or publish the chart to a repository and set chart to repo/name and version",
		url, from, b.rel.Name)
}

// values reads Values: a JSON string, or an Fn::Join of JSON text and references.
func (b *release) values() {
	v, ok := b.props["Values"]
	if !ok || v == nil {
		return
	}
	var r resolver
	text := r.jsonText(b.s, v)
	b.block("values", r.missing)
	var values map[string]any
	if err := json.Unmarshal([]byte(text), &values); err != nil {
		b.note(true, "values: the HelmChart's Values are not a JSON object (%v): copy them from the CDK app by hand", err)
		return
	}
	b.rel.Values = values
}
