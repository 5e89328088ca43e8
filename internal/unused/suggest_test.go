package unused

import (
	"slices"
	"testing"
)

func TestSuggest(t *testing.T) {
	defaults := map[string]any{
		"replicaCount": 1,
		"image":        map[string]any{"repository": "x", "tag": "1"},
		"controller": map[string]any{
			"resources":   map[string]any{"limits": map[string]any{}, "requests": map[string]any{}},
			"autoscaling": map[string]any{"minReplicas": 1, "maxReplicas": 3},
			"keda":        map[string]any{"fallback": map[string]any{"replicas": 1}},
			"podLabels":   map[string]any{},
			"service":     map[string]any{"type": "ClusterIP", "ports": map[string]any{"http": 80}},
		},
		"backend":         map[string]any{"resources": map[string]any{}},
		"serviceAccount":  map[string]any{"create": true, "name": ""},
		"persistence":     map[string]any{"enabled": false},
		"nodeSelector":    map[string]any{},
		"extraContainers": []any{},
	}
	tpl := `{{ .Values.replicaCount }}{{ toYaml .Values.controller.resources }}{{ .Values.image.repository }}` +
		`{{ .Values.image.tag }}{{ toYaml .Values.controller.autoscaling }}{{ toYaml .Values.controller.keda }}` +
		`{{ toYaml .Values.controller.podLabels }}{{ toYaml .Values.controller.service }}` +
		`{{ toYaml .Values.backend }}{{ toYaml .Values.serviceAccount }}{{ toYaml .Values.persistence }}` +
		`{{ toYaml .Values.nodeSelector }}{{ toYaml .Values.extraContainers }}`
	ch := testChart("test", defaults, map[string]string{"templates/t.yaml": tpl})
	for _, tc := range []struct {
		name string
		user map[string]any
		path []string
		want []string
	}{
		{"wrong case", map[string]any{"replicacount": 2}, p("replicacount"), p("replicaCount")},
		{"transposition", map[string]any{"replicaCoutn": 2}, p("replicaCoutn"), p("replicaCount")},
		{"missing letter", map[string]any{"replicaCont": 2}, p("replicaCont"), p("replicaCount")},
		{"two typos", map[string]any{"persistense": map[string]any{"enabld": true}}, p("persistense"), p("persistence")},
		{"typo below", map[string]any{"image": map[string]any{"tga": "2"}}, p("image", "tga"), p("image", "tag")},
		{"one level too high", map[string]any{"resources": map[string]any{"limits": map[string]any{"cpu": 1}}},
			p("resources"), p("controller", "resources")},
		{"one level too low", map[string]any{"controller": map[string]any{"image": map[string]any{"tag": "2"}}},
			p("controller", "image"), p("image")},
		{"word of another chart", map[string]any{"replicas": 2}, p("replicas"), p("replicaCount")},
		{"snake case", map[string]any{"service_account": map[string]any{"create": false}}, p("service_account"), p("serviceAccount")},
		{"prefix", map[string]any{"extraContainer": []any{}}, p("extraContainer"), p("extraContainers")},
		{"nothing close", map[string]any{"zebra": 1}, p("zebra"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, refs := walked(t, ch, tc.user)
			if got := suggest(m, refs, tc.user, tc.path); !slices.Equal(got, tc.want) {
				t.Errorf("suggest(%s) = %q, want %q", PathString(tc.path), got, tc.want)
			}
		})
	}
}

// TestSuggestPrefersLiveAndMatchingKeys checks the order among keys at other levels: a key
// that holds what the user set below, and a key that live code uses, win.
func TestSuggestPrefersLiveAndMatchingKeys(t *testing.T) {
	defaults := map[string]any{
		"a": map[string]any{"enabled": true, "resources": map[string]any{}},
		"b": map[string]any{"enabled": false, "resources": map[string]any{}},
		"c": map[string]any{"tolerations": []any{}, "ports": map[string]any{"http": 80, "https": 443}},
		"d": map[string]any{"ports": map[string]any{"grpc": 90}},
	}
	tpl := `{{ if .Values.a.enabled }}{{ toYaml .Values.a.resources }}{{ end }}` +
		`{{ if .Values.b.enabled }}{{ toYaml .Values.b.resources }}{{ end }}{{ toYaml .Values.c }}{{ toYaml .Values.d }}`
	ch := testChart("test", defaults, map[string]string{"templates/t.yaml": tpl})
	for _, tc := range []struct {
		user map[string]any
		path []string
		want []string
	}{
		{map[string]any{"resources": map[string]any{"limits": map[string]any{}}}, p("resources"), p("a", "resources")},
		{map[string]any{"ports": map[string]any{"grpc": 1}}, p("ports"), p("d", "ports")},
		{map[string]any{"ports": map[string]any{"http": 1}}, p("ports"), p("c", "ports")},
	} {
		m, refs := walked(t, ch, tc.user)
		if got := suggest(m, refs, tc.user, tc.path); !slices.Equal(got, tc.want) {
			t.Errorf("suggest(%s) with %v = %q, want %q", PathString(tc.path), tc.user, got, tc.want)
		}
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"replicaCount":       {"replica", "count"},
		"replicas":           {"replica"},
		"service_account":    {"service", "account"},
		"HTTPRoute":          {"http", "route"},
		"maxUnavailable":     {"max", "unavailable"},
		"ipv6Enabled":        {"ipv", "6", "enabled"},
		"kube-state-metrics": {"kube", "state", "metric"},
		"address":            {"address"},
	} {
		if got := words(in); !slices.Equal(got, want) {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}
