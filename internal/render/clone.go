package render

import chartv2 "helm.sh/helm/v4/pkg/chart/v2"

// cloneChart copies what Helm's dependency processing modifies (the metadata, its dependency
// list and the tree of subcharts), so that the chart of the caller stays untouched and can be
// rendered concurrently. Templates, files and default values are shared: nothing writes to them.
func cloneChart(ch *chartv2.Chart) *chartv2.Chart {
	c := *ch
	if ch.Metadata != nil {
		md := *ch.Metadata
		if ch.Metadata.Dependencies != nil {
			md.Dependencies = make([]*chartv2.Dependency, len(ch.Metadata.Dependencies))
			for i, d := range ch.Metadata.Dependencies {
				if d != nil {
					dd := *d
					md.Dependencies[i] = &dd
				}
			}
		}
		c.Metadata = &md
	}
	deps := make([]*chartv2.Chart, 0, len(ch.Dependencies()))
	for _, d := range ch.Dependencies() {
		deps = append(deps, cloneChart(d))
	}
	c.SetDependencies(deps...)
	return &c
}
