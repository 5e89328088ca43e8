package plan

import (
	"slices"
	"testing"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// withSubcharts returns a chart whose subcharts are named names, in that order.
func withSubcharts(names ...string) *chartv2.Chart {
	parent := &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "parent", Version: "1.0.0", APIVersion: "v2"}}
	for _, n := range names {
		parent.AddDependency(&chartv2.Chart{
			Metadata:  &chartv2.Metadata{Name: n, Version: "1.0.0", APIVersion: "v2"},
			Templates: []*chartcommon.File{{Name: "templates/cm.yaml", Data: []byte("kind: ConfigMap # " + n + "\n")}},
		})
	}
	return parent
}

// TestDesiredDigestDoesNotDependOnTheOrderOfSubcharts: Helm's loader lists a chart's
// subcharts in no fixed order (it reads charts/ into a map), so two loads of one chart may
// list them differently. The digest, which the inputs label and a saved plan's fingerprint
// take, must not change with that order, or a saved plan is refused as stale and the plan
// renders again what it could take from storage.
func TestDesiredDigestDoesNotDependOnTheOrderOfSubcharts(t *testing.T) {
	vals := map[string]any{"replicas": 2}
	names := []string{"alertmanager", "kube-state-metrics", "pushgateway"}
	base := desiredDigest(withSubcharts(names...), vals, nil)
	reversed := slices.Clone(names)
	slices.Reverse(reversed)
	if got := desiredDigest(withSubcharts(reversed...), vals, nil); got != base {
		t.Errorf("subcharts listed as %v: digest %s, want %s as for %v", reversed, got, base, names)
	}
	changed := withSubcharts(names...)
	changed.Dependencies()[1].Templates[0].Data = []byte("kind: ConfigMap # changed\n")
	if desiredDigest(changed, vals, nil) == base {
		t.Error("a change in a subchart's template does not change the digest")
	}
}
