package testenv

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestParseRequestCounts(t *testing.T) {
	text := `# HELP apiserver_request_total [STABLE] Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="POST",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="GET",version="v1"} 3
apiserver_request_total{code="404",component="apiserver",dry_run="",group="",resource="configmaps",scope="resource",subresource="",verb="GET",version="v1"} 1
apiserver_request_total{code="200",component="apiserver",dry_run="",group="apps",resource="deployments",scope="resource",subresource="status",verb="PATCH",version="v1"} 4
apiserver_request_total{code="200",component="",dry_run="",group="",resource="",scope="",subresource="/metrics",verb="GET",version=""} 5
apiserver_request_total_other{verb="GET"} 100
apiserver_request_duration_seconds_bucket{le="0.1",verb="GET"} 7
`
	got, err := parseRequestCounts(text)
	if err != nil {
		t.Fatal(err)
	}
	want := RequestCounts{
		"POST configmaps":               2,
		"GET configmaps":                4,
		"PATCH deployments.apps/status": 4,
		"GET nonresource":               5,
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if got.Total() != 15 {
		t.Errorf("total = %v, want 15", got.Total())
	}
	delta := got.Sub(RequestCounts{"POST configmaps": 2, "GET configmaps": 1})
	if len(delta) != 3 || delta["GET configmaps"] != 3 {
		t.Errorf("delta = %v", delta)
	}
}

func TestParseRequestCountsRejectsGarbage(t *testing.T) {
	if _, err := parseRequestCounts(`apiserver_request_total{verb="GET} 1`); err == nil {
		t.Error("want an error for an unterminated label")
	}
}

func TestNamespacePrefix(t *testing.T) {
	for _, name := range []string{
		"TestX",
		"TestConfigMapRoundTrip/sub_test#01",
		"Test" + strings.Repeat("VeryLong", 20),
		"___",
	} {
		p := namespacePrefix(name)
		full := p + "abcde"
		if errs := validation.IsDNS1123Label(full); len(errs) > 0 {
			t.Errorf("namespacePrefix(%q) = %q: %v", name, p, errs)
		}
		if errs := validation.IsValidLabelValue(labelValue(name)); len(errs) > 0 {
			t.Errorf("labelValue(%q) = %q: %v", name, labelValue(name), errs)
		}
	}
}
