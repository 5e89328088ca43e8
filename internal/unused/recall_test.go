package unused

import "testing"

// TestAnalyzeOpenSchema checks that a schema that allows keys it does not list, at the top
// (external-dns 1.19.0: "additionalProperties": true), only turns the schema check off: a
// misspelt key is still unknown.
func TestAnalyzeOpenSchema(t *testing.T) {
	ch := testChart("dns", map[string]any{"replicaCount": 1, "podLabels": map[string]any{}}, map[string]string{
		"templates/deploy.yaml": `replicas: {{ .Values.replicaCount }}
labels: {{ toYaml .Values.podLabels }}`,
	})
	ch.Schema = []byte(`{"type": "object", "additionalProperties": true, "properties": {
		"replicaCount": {"type": "integer"},
		"podLabels": {"type": "object"}}}`)
	for _, tc := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"typo", map[string]any{"replicaCoutn": 2}, "unknown-key replicaCoutn -> replicaCount"},
		{"free-form map the schema declares", map[string]any{"podLabels": map[string]any{"team": "a"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := summary(analyze(t, ch, tc.vals)); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestAnalyzeOmit checks that a map passed through omit is free-form except for the keys omit
// drops: those are read only where the templates read them.
func TestAnalyzeOmit(t *testing.T) {
	ch := testChart("svc", map[string]any{"service": map[string]any{"enabled": true, "type": "ClusterIP", "legacy": "x"}}, map[string]string{
		"templates/svc.yaml": `{{- if .Values.service.enabled }}
spec: {{ toYaml (omit .Values.service "enabled" "legacy" "internal") | nindent 2 }}
{{- end }}`,
	})
	for _, tc := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"passed through", map[string]any{"service": map[string]any{"type": "NodePort", "externalTrafficPolicy": "Local"}}, ""},
		{"omitted known key", map[string]any{"service": map[string]any{"legacy": "y"}}, "no-effect service.legacy"},
		{"omitted unknown key", map[string]any{"service": map[string]any{"internal": true}}, "unknown-key service.internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := summary(analyze(t, ch, tc.vals)); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestAnalyzeShortCircuit checks that a key read only as an operand of and, or, after an
// operand that decides the result, is without effect like the block it guards
// (cert-manager prometheus.servicemonitor.enabled while prometheus.enabled is false), and that
// a value assigned to a variable in a block that does not run does not reach the code after
// it (ingress-nginx autoscaling.minReplicas in the disruption budget).
func TestAnalyzeShortCircuit(t *testing.T) {
	ch := testChart("cm", map[string]any{
		"prometheus":  map[string]any{"enabled": false, "servicemonitor": map[string]any{"enabled": false, "interval": "60s"}},
		"fallback":    map[string]any{"enabled": true},
		"extra":       map[string]any{"enabled": false},
		"replicas":    1,
		"autoscaling": map[string]any{"enabled": false, "minReplicas": 1, "maxReplicas": 3},
	}, map[string]string{
		"templates/sm.yaml": `{{- if and .Values.prometheus.enabled .Values.prometheus.servicemonitor.enabled }}
interval: {{ .Values.prometheus.servicemonitor.interval }}
{{- end }}
{{- if or .Values.fallback.enabled .Values.extra.enabled }}
fallback: true
{{- end }}`,
		"templates/pdb.yaml": `{{- $replicas := .Values.replicas }}
{{- if .Values.autoscaling.enabled }}
{{- $replicas = .Values.autoscaling.minReplicas }}
{{- end }}
{{- if gt ($replicas | int) 1 }}
minAvailable: 1
{{- end }}`,
		"templates/hpa.yaml": `{{- if .Values.autoscaling.enabled }}
max: {{ .Values.autoscaling.maxReplicas }}
{{- end }}`,
	})
	for _, tc := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"and after a false operand", map[string]any{"prometheus": map[string]any{"servicemonitor": map[string]any{"enabled": true, "interval": "30s"}}},
			"no-effect prometheus.servicemonitor.enabled | prometheus.enabled\nno-effect prometheus.servicemonitor.interval | prometheus.enabled"},
		{"and after a true operand", map[string]any{"prometheus": map[string]any{"enabled": true, "servicemonitor": map[string]any{"interval": "30s"}}},
			"no-effect prometheus.servicemonitor.interval | prometheus.servicemonitor.enabled"},
		{"or after a true operand", map[string]any{"extra": map[string]any{"enabled": true}}, "no-effect extra.enabled | fallback.enabled"},
		{"variable set in a dead block", map[string]any{"autoscaling": map[string]any{"minReplicas": 2, "maxReplicas": 5}},
			"no-effect autoscaling.maxReplicas | autoscaling.enabled\nno-effect autoscaling.minReplicas | autoscaling.enabled"},
		{"variable set in a live block", map[string]any{"autoscaling": map[string]any{"enabled": true, "minReplicas": 2}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := summary(analyze(t, ch, tc.vals)); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestAnalyzeDecidingGate checks that the gate named is the operand that turns the code off
// on its own, not the first operand of an or nested in the condition (argo-cd's dex network
// policy: and (or dex.networkPolicy.create global.networkPolicy.create) dex.enabled).
func TestAnalyzeDecidingGate(t *testing.T) {
	ch := testChart("argo", map[string]any{
		"dex":    map[string]any{"enabled": false, "networkPolicy": map[string]any{"create": false, "port": 5556}},
		"global": map[string]any{"networkPolicy": map[string]any{"create": false}},
	}, map[string]string{
		"templates/np.yaml": `{{- if and (or .Values.dex.networkPolicy.create .Values.global.networkPolicy.create) .Values.dex.enabled }}
port: {{ .Values.dex.networkPolicy.port }}
{{- end }}`,
	})
	vals := map[string]any{"dex": map[string]any{"networkPolicy": map[string]any{"port": 5557}}}
	if got, want := summary(analyze(t, ch, vals)), "no-effect dex.networkPolicy.port | dex.enabled"; got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
