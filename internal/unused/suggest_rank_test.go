package unused

import (
	"slices"
	"strings"
	"testing"
)

// TestSuggestByPlace checks that suggestions follow where the user is: the same parent before
// another component that shares the name, the section the user's values configure, the same
// chart, and the shape of the map the user wrote.
func TestSuggestByPlace(t *testing.T) {
	defaults := map[string]any{
		"server": map[string]any{
			"replicaCount": 1,
			"service":      map[string]any{"type": "ClusterIP", "servicePort": 80},
			"daemonSet":    map[string]any{"enabled": false},
			"ingress":      map[string]any{"enabled": false, "hosts": []any{}, "tls": []any{}},
			"retention":    "15d", "retentionSize": "",
			"podDisruptionBudget":      map[string]any{"enabled": false},
			"containerSecurityContext": map[string]any{"readOnlyRootFilesystem": true},
			"securityContext":          map[string]any{"runAsUser": 65534},
		},
		"pusher": map[string]any{
			"service":         map[string]any{"type": "ClusterIP", "port": 9091},
			"ingress":         map[string]any{"enabled": false, "hosts": []any{}},
			"unreadKey":       1,
			"vpa":             map[string]any{"enabled": false},
			"autoscaling":     map[string]any{"enabled": false},
			"podSecurity":     map[string]any{},
			"extraContainers": []any{},
		},
		"networkPolicy": map[string]any{"ingress": []any{}},
		"ingressClass":  map[string]any{"enabled": true, "name": ""},
	}
	tpl := `{{ toYaml .Values.server }}{{ toYaml .Values.pusher.service }}{{ toYaml .Values.pusher.ingress }}` +
		`{{ toYaml .Values.pusher.vpa }}{{ toYaml .Values.pusher.autoscaling }}{{ toYaml .Values.ingressClass }}` +
		`{{ toYaml .Values.networkPolicy }}{{ toYaml .Values.pusher.extraContainers }}`
	ch := testChart("test", defaults, map[string]string{"templates/t.yaml": tpl})
	for _, tc := range []struct {
		name string
		user map[string]any
		path []string
		want []string
	}{
		{"synonym under the same parent, not the same name elsewhere",
			map[string]any{"server": map[string]any{"service": map[string]any{"port": 9090}}},
			p("server", "service", "port"), p("server", "service", "servicePort")},
		{"the other way round", map[string]any{"pusher": map[string]any{"service": map[string]any{"servicePort": 1}}},
			p("pusher", "service", "servicePort"), p("pusher", "service", "port")},
		{"a toggle is never moved", map[string]any{"server": map[string]any{"enabled": false}},
			p("server", "enabled"), nil},
		{"the section the values configure", map[string]any{"server": map[string]any{"replicaCount": 2}, "service": map[string]any{"type": "NodePort"}},
			p("service"), p("server", "service")},
		{"no configured section: two parents tie", map[string]any{"service": map[string]any{"type": "NodePort"}},
			p("service"), nil},
		{"a map with a toggle needs a key that has it", map[string]any{"server": map[string]any{"replicaCount": 2}, "ingress": map[string]any{"enabled": true}},
			p("ingress"), p("server", "ingress")},
		{"synonym", map[string]any{"server": map[string]any{"pdb": map[string]any{"enabled": true}}},
			p("server", "pdb"), p("server", "podDisruptionBudget")},
		{"a synonym the chart does not have", map[string]any{"pusher": map[string]any{"pdb": map[string]any{"enabled": true}}},
			p("pusher", "pdb"), nil},
		{"a swapped word is not a typo", map[string]any{"server": map[string]any{"retentionTime": "30d"}},
			p("server", "retentionTime"), p("server", "retention")},
		{"the shape decides between synonyms", map[string]any{"server": map[string]any{"podSecurityContext": map[string]any{"runAsUser": 1}}},
			p("server", "podSecurityContext"), p("server", "securityContext")},
		{"a key the templates do not read", map[string]any{"pusher": map[string]any{"unreadKy": 1}},
			p("pusher", "unreadKy"), nil},
		{"a synonym before one edit in a short name", map[string]any{"pusher": map[string]any{"hpa": map[string]any{"enabled": true}}},
			p("pusher", "hpa"), p("pusher", "autoscaling")},
		{"never the key it is already below", map[string]any{"ingressClass": map[string]any{"className": "x"}},
			p("ingressClass", "className"), nil},
		{"synonym of a list", map[string]any{"pusher": map[string]any{"sidecars": []any{}}},
			p("pusher", "sidecars"), p("pusher", "extraContainers")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, refs := walked(t, ch, tc.user)
			if got := suggest(m, refs, tc.user, tc.path); !slices.Equal(got, tc.want) {
				t.Errorf("suggest(%s) = %q, want %q", PathString(tc.path), got, tc.want)
			}
		})
	}
}

// TestSuggestSynonymTie checks that two synonyms that fit equally well give no suggestion,
// and that the keys the user set below pick one.
func TestSuggestSynonymTie(t *testing.T) {
	defaults := map[string]any{
		"podSecurityContext":       map[string]any{"fsGroup": 1001},
		"containerSecurityContext": map[string]any{"readOnlyRootFilesystem": true},
	}
	tpl := `{{ toYaml .Values.podSecurityContext }}{{ toYaml .Values.containerSecurityContext }}`
	ch := testChart("test", defaults, map[string]string{"templates/t.yaml": tpl})
	for _, tc := range []struct {
		user map[string]any
		want []string
	}{
		{map[string]any{"securityContext": map[string]any{"runAsUser": 1}}, nil},
		{map[string]any{"securityContext": map[string]any{"fsGroup": 1}}, p("podSecurityContext")},
		{map[string]any{"securityContext": map[string]any{"readOnlyRootFilesystem": true}}, p("containerSecurityContext")},
	} {
		m, refs := walked(t, ch, tc.user)
		if got := suggest(m, refs, tc.user, p("securityContext")); !slices.Equal(got, tc.want) {
			t.Errorf("suggest(securityContext) with %v = %q, want %q", tc.user, got, tc.want)
		}
	}
}

func TestSynonyms(t *testing.T) {
	tab, err := parseSynonyms(synonymsYAML)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"pdb", "podDisruptionBudget", true},
		{"PDB", "podDisruptionBudget", true},
		{"securityContext", "containerSecurityContext", true},
		{"securityContext", "podSecurityContext", true},
		{"containerSecurityContext", "podSecurityContext", false},
		{"replicas", "replicas", false},
		{"replicas", "pdb", false},
	} {
		if got := tab.same(c.a, c.b); got != c.want {
			t.Errorf("same(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	for _, bad := range []string{"- [alone]", "- [a, b, a]", "a: b"} {
		if _, err := parseSynonyms([]byte(bad)); err == nil {
			t.Errorf("parseSynonyms(%q) accepted it", bad)
		}
	}
}

// TestMayMatch checks the cheap test against the edit distance it stands in for.
func TestMayMatch(t *testing.T) {
	for _, c := range [][2]string{
		{"replicas", "xreplicas"}, {"xreplicas", "replicas"}, {"erplicas", "replicas"},
		{"teplicas", "replicas"}, {"ab", "b"}, {"a", "b"}, {"replicas", "replica_s"},
	} {
		if !mayMatch(strings.ToLower(c[0]), strings.ToLower(c[1])) {
			t.Errorf("mayMatch(%s, %s) = false, but they are one edit apart", c[0], c[1])
		}
	}
	if mayMatch("service", "tolerations") {
		t.Error("mayMatch(service, tolerations) = true")
	}
}
