package digest

import (
	"slices"
	"testing"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// parentOf returns a chart whose dependencies are subcharts named names, in that order.
func parentOf(names ...string) *chartv2.Chart {
	parent := &chartv2.Chart{
		Metadata:  &chartv2.Metadata{Name: "parent", Version: "1.0.0", APIVersion: "v2"},
		Templates: []*chartcommon.File{{Name: "templates/a.yaml", Data: []byte("a")}, {Name: "templates/b.yaml", Data: []byte("b")}},
	}
	for _, n := range names {
		parent.AddDependency(&chartv2.Chart{
			Metadata:  &chartv2.Metadata{Name: n, Version: "1.0.0", APIVersion: "v2"},
			Templates: []*chartcommon.File{{Name: "templates/cm.yaml", Data: []byte("kind: ConfigMap # " + n)}},
		})
	}
	return parent
}

func TestDigestDoesNotDependOnOrder(t *testing.T) {
	names := []string{"alertmanager", "kube-state-metrics", "prometheus-node-exporter", "prometheus-pushgateway"}
	base := Chart(parentOf(names...))
	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	other := parentOf(reversed...)
	slices.Reverse(other.Templates)
	if Chart(other) != base {
		t.Errorf("subcharts listed as %v and templates reversed: another digest", reversed)
	}
}

func TestDigestCoversWhatTheChartRendersFrom(t *testing.T) {
	base := Chart(parentOf("one", "two"))
	for name, change := range map[string]func(*chartv2.Chart){
		"a template":            func(c *chartv2.Chart) { c.Templates[0].Data = []byte("changed") },
		"a template's name":     func(c *chartv2.Chart) { c.Templates[0].Name = "templates/c.yaml" },
		"a file":                func(c *chartv2.Chart) { c.Files = []*chartcommon.File{{Name: "files/x", Data: []byte("x")}} },
		"the default values":    func(c *chartv2.Chart) { c.Values = map[string]any{"replicas": 2} },
		"the schema":            func(c *chartv2.Chart) { c.Schema = []byte(`{"type":"object"}`) },
		"the version":           func(c *chartv2.Chart) { c.Metadata.Version = "1.0.1" },
		"Chart.lock":            func(c *chartv2.Chart) { c.Lock = &chartv2.Lock{Digest: "sha256:1"} },
		"a subchart's template": func(c *chartv2.Chart) { c.Dependencies()[1].Templates[0].Data = []byte("changed") },
		"a subchart less":       func(c *chartv2.Chart) { c.SetDependencies(c.Dependencies()[0]) },
	} {
		c := parentOf("one", "two")
		change(c)
		if Chart(c) == base {
			t.Errorf("%s changed and the digest did not", name)
		}
	}
}
