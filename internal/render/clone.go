package render

import (
	"maps"
	"slices"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// CloneChart copies what Helm's dependency processing modifies (the metadata, its dependency
// list with their import-values, the top level of each chart's values and the tree of
// subcharts), so that the chart of the caller stays untouched and can be rendered or
// processed concurrently. Templates and files are shared: nothing writes to them.
func CloneChart(ch *chartv2.Chart) *chartv2.Chart {
	c := *ch
	if ch.Metadata != nil {
		md := *ch.Metadata
		if ch.Metadata.Dependencies != nil {
			md.Dependencies = make([]*chartv2.Dependency, len(ch.Metadata.Dependencies))
			for i, d := range ch.Metadata.Dependencies {
				if d != nil {
					dd := *d
					dd.ImportValues = slices.Clone(d.ImportValues)
					md.Dependencies[i] = &dd
				}
			}
		}
		c.Metadata = &md
	}
	c.Values = maps.Clone(ch.Values)
	deps := make([]*chartv2.Chart, 0, len(ch.Dependencies()))
	for _, d := range ch.Dependencies() {
		deps = append(deps, CloneChart(d))
	}
	c.SetDependencies(deps...)
	return &c
}
