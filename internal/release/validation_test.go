package release_test

import (
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/release"
)

// A chart whose ConfigMap has a field that ConfigMaps do not have.
func unknownFieldChart() *chartv2.Chart {
	return &chartv2.Chart{
		Metadata: &chartv2.Metadata{APIVersion: chartv2.APIVersionV2, Name: "typo", Version: "0.1.0"},
		Templates: []*common.File{{Name: "templates/cm.yaml", Data: []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: typo
data:
  a: b
dataa:
  c: d
`)}},
	}
}

// Helm's client-side validation is off (it only costs time); the API server's strict field
// validation still refuses an unknown field, on install and on upgrade.
func TestUnknownFieldsAreRefusedByTheAPIServer(t *testing.T) {
	ns := env.Namespace(t)
	m := manager(t)
	_, err := m.Apply(t.Context(), release.Desired{Name: "typo", Namespace: ns, Chart: unknownFieldChart()})
	if err == nil || !strings.Contains(err.Error(), ".dataa: field not declared in schema") {
		t.Fatalf("install with an unknown field: %v, want the API server to refuse .dataa", err)
	}

	good := unknownFieldChart()
	good.Templates[0].Data = []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\ndata:\n  a: b\n")
	if _, err := m.Apply(t.Context(), release.Desired{Name: "typo2", Namespace: ns, Chart: good}); err != nil {
		t.Fatal(err)
	}
	bad := unknownFieldChart()
	_, err = m.Apply(t.Context(), release.Desired{Name: "typo2", Namespace: ns, Chart: bad})
	if err == nil || !strings.Contains(err.Error(), ".dataa: field not declared in schema") {
		t.Fatalf("upgrade with an unknown field: %v, want the API server to refuse .dataa", err)
	}
}
