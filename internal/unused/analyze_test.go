package unused

import (
	"context"
	"slices"
	"strings"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/render"
)

// analyze runs the analysis of ch with the user's values vals, every leaf included.
func analyze(t *testing.T, ch *chartv2.Chart, vals map[string]any) []Finding {
	t.Helper()
	r, err := render.New(render.Options{Deterministic: true})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := newAnalyzer(t, r).Analyze(context.Background(), ch, vals, Leaves(vals))
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// summary writes findings as "kind path -> suggestion|gate", one a line.
func summary(fs []Finding) string {
	var lines []string
	for _, f := range fs {
		line := string(f.Kind) + " " + PathString(f.Path)
		if f.Suggestion != nil {
			line += " -> " + PathString(f.Suggestion)
		}
		if f.Gate != nil {
			line += " | " + PathString(f.Gate)
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// appChart is a small chart with the usual shapes: a scalar, an image, an ingress that is off
// by default, free-form maps, a list, a config passed through tpl and a value only required.
func appChart() *chartv2.Chart {
	defaults := map[string]any{
		"replicaCount":   1,
		"image":          map[string]any{"repository": "nginx", "tag": "1.27"},
		"ingress":        map[string]any{"enabled": false, "hosts": []any{}, "annotations": map[string]any{}},
		"podAnnotations": map[string]any{},
		"extraEnv":       []any{},
		"config":         "",
		"legacy":         map[string]any{"unused": true},
		"mode":           "simple",
	}
	return testChart("app", defaults, map[string]string{
		"templates/deploy.yaml": `replicas: {{ .Values.replicaCount }}
image: {{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- with .Values.podAnnotations }}
annotations: {{ toYaml . | nindent 2 }}
{{- end }}
env: {{ toYaml .Values.extraEnv }}
config: {{ tpl .Values.config $ }}
name: {{ required "name is required" .Values.name }}
{{- if eq .Values.mode "advanced" }}
advanced: {{ .Values.advanced.level }}
{{- end }}`,
		"templates/ingress.yaml": `{{- if .Values.ingress.enabled }}
hosts: {{ toYaml .Values.ingress.hosts }}
annotations: {{ toYaml .Values.ingress.annotations }}
{{- end }}`,
	})
}

func TestAnalyze(t *testing.T) {
	base := map[string]any{"name": "web"}
	for _, tc := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"nothing wrong", map[string]any{"replicaCount": 3, "image": map[string]any{"tag": "1.28"}}, ""},
		{"typo", map[string]any{"replicaCoutn": 3}, "unknown-key replicaCoutn -> replicaCount"},
		{"typo below", map[string]any{"image": map[string]any{"tga": "1.28"}}, "unknown-key image.tga -> image.tag"},
		{"unknown tree reported once", map[string]any{"imag": map[string]any{"tag": "1", "repository": "x"}}, "unknown-key imag -> image"},
		{"disabled ingress", map[string]any{"ingress": map[string]any{"hosts": []any{"a.example.com"}}},
			"no-effect ingress.hosts | ingress.enabled"},
		{"free-form map of a disabled feature", map[string]any{"ingress": map[string]any{"annotations": map[string]any{"x/y": "z"}}},
			"no-effect ingress.annotations | ingress.enabled"},
		{"enabled ingress", map[string]any{"ingress": map[string]any{"enabled": true, "hosts": []any{"a.example.com"}}}, ""},
		{"free-form map", map[string]any{"podAnnotations": map[string]any{"example.com/anything": "x"}}, ""},
		{"list", map[string]any{"extraEnv": []any{map[string]any{"name": "A", "value": "1"}}}, ""},
		{"key read only by the user's own template", map[string]any{"config": "{{ .Values.myOwnKey }}", "myOwnKey": "v"}, ""},
		{"key the user's template does not read", map[string]any{"config": "{{ .Values.myOwnKey }}", "myOwnKey": "v", "other": 1},
			"unknown-key other"},
		{"key only required", map[string]any{"name": "other"}, ""},
		{"key known but never read", map[string]any{"legacy": map[string]any{"unused": false}}, "no-effect legacy.unused"},
		{"key behind a comparison", map[string]any{"advanced": map[string]any{"level": 3}}, "no-effect advanced.level | mode"},
		{"key behind a comparison that holds", map[string]any{"mode": "advanced", "advanced": map[string]any{"level": 3}}, ""},
		{"sorted by path", map[string]any{"zz": 1, "aa": 1, "replicaCoutn": 1}, "unknown-key aa\nunknown-key replicaCoutn -> replicaCount\nunknown-key zz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vals, _ := deepCopy(base).(map[string]any)
			for k, v := range tc.vals {
				vals[k] = v
			}
			if got := summary(analyze(t, appChart(), vals)); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestAnalyzeWholeValues checks that a chart that writes out all of .Values makes every key
// matter.
func TestAnalyzeWholeValues(t *testing.T) {
	ch := testChart("dump", map[string]any{"a": 1}, map[string]string{"templates/cm.yaml": `data: {{ toYaml .Values | nindent 2 }}`})
	if fs := analyze(t, ch, map[string]any{"anything": map[string]any{"at": "all"}}); len(fs) > 0 {
		t.Errorf("findings for a chart that prints all values: %s", summary(fs))
	}
}

// TestAnalyzeDynamicLookup checks that a key read by a computed name is not reported, while
// a key that nothing could read still is. The names the template computes are values, not
// keys the chart declares, so there is nothing to suggest.
func TestAnalyzeDynamicLookup(t *testing.T) {
	ch := testChart("dyn", map[string]any{"sections": []any{"web", "worker"}}, map[string]string{
		"templates/cm.yaml": `{{- range .Values.sections }}
{{ . }}: {{ index $.Values . | toYaml }}
{{- end }}`,
	})
	vals := map[string]any{"web": map[string]any{"port": 80}, "wbe": map[string]any{"port": 80}}
	if got := summary(analyze(t, ch, vals)); got != "unknown-key wbe" {
		t.Errorf("got:\n%s", got)
	}
}

// TestAnalyzeSchema checks that a key that only the schema declares is known, and that an
// object without properties in the schema takes any keys. A key that only the schema declares
// and no template reads is not suggested: it would change nothing either.
func TestAnalyzeSchema(t *testing.T) {
	ch := testChart("s", map[string]any{}, map[string]string{"templates/cm.yaml": `{{ toYaml .Values.labels }}`})
	ch.Schema = []byte(`{"type": "object", "properties": {
		"labels": {"type": "object"},
		"documented": {"type": "string"},
		"nested": {"$ref": "#/definitions/n"}},
		"definitions": {"n": {"type": "object", "properties": {"inner": {"type": "integer"}}}}}`)
	vals := map[string]any{"documented": "x", "nested": map[string]any{"inner": 1, "inenr": 2}}
	want := "no-effect documented\nunknown-key nested.inenr\nno-effect nested.inner"
	if got := summary(analyze(t, ch, vals)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestAnalyzeSubcharts checks keys under a subchart's name, its globals, and a subchart that
// its condition disables.
func TestAnalyzeSubcharts(t *testing.T) {
	sub := testChart("db", map[string]any{"port": 5432, "auth": map[string]any{"password": ""}}, map[string]string{
		"templates/svc.yaml": `port: {{ .Values.port }}
pw: {{ .Values.auth.password }}
region: {{ .Values.global.region }}`,
	})
	parent := testChart("app", map[string]any{"db": map[string]any{"enabled": true}}, map[string]string{
		"templates/cm.yaml": `app: {{ .Chart.Name }}`,
	})
	parent.Metadata.Dependencies = []*chartv2.Dependency{{Name: "db", Version: "1.x", Condition: "db.enabled"}}
	parent.SetDependencies(sub)
	for _, tc := range []struct {
		name string
		vals map[string]any
		want string
	}{
		{"subchart key", map[string]any{"db": map[string]any{"port": 5433}}, ""},
		{"subchart typo", map[string]any{"db": map[string]any{"prot": 5433}}, "unknown-key db.prot -> db.port"},
		{"global", map[string]any{"global": map[string]any{"region": "eu"}}, ""},
		{"global typo", map[string]any{"global": map[string]any{"regoin": "eu"}}, "unknown-key global.regoin -> global.region"},
		{"disabled subchart", map[string]any{"db": map[string]any{"enabled": false, "port": 5433}}, "no-effect db.port | db.enabled"},
		{"disabled subchart typo", map[string]any{"db": map[string]any{"enabled": false, "prot": 5433}}, "unknown-key db.prot -> db.port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := analyze(t, parent, tc.vals)
			if got := summary(fs); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
			for _, f := range fs {
				if strings.HasPrefix(PathString(f.Path), "db.") && f.Chart != "app/db" {
					t.Errorf("chart of %s: %s, want app/db", PathString(f.Path), f.Chart)
				}
			}
		})
	}
}

// TestAnalyzeOnlyGivenLeaves checks that only the leaves passed in are analyzed, and that a
// finding lists the leaves it covers.
func TestAnalyzeOnlyGivenLeaves(t *testing.T) {
	r, err := render.New(render.Options{Deterministic: true})
	if err != nil {
		t.Fatal(err)
	}
	a := newAnalyzer(t, r)
	vals := map[string]any{"name": "x", "imag": map[string]any{"tag": "1", "repository": "r"}, "replicaCoutn": 2}
	fs, err := a.Analyze(context.Background(), appChart(), vals, [][]string{p("imag", "tag"), p("imag", "repository"), p("not", "set")})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || PathString(fs[0].Path) != "imag" {
		t.Fatalf("got %s", summary(fs))
	}
	if want := [][]string{p("imag", "repository"), p("imag", "tag")}; !slices.EqualFunc(fs[0].Leaves, want, slices.Equal) {
		t.Errorf("leaves %q, want %q", fs[0].Leaves, want)
	}
	if fs[0].Severity != Warning || fs[0].Chart != "app" {
		t.Errorf("severity %s, chart %s", fs[0].Severity, fs[0].Chart)
	}
}

func TestAnalyzeFailsWhenTheChartDoesNotRender(t *testing.T) {
	r, err := render.New(render.Options{Deterministic: true})
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{"replicaCoutn": 2} // name is required
	if _, err := newAnalyzer(t, r).Analyze(context.Background(), appChart(), vals, Leaves(vals)); err == nil {
		t.Error("no error for values the chart refuses")
	}
}

func TestNewNeedsDeterministicRenderer(t *testing.T) {
	r, err := render.New(render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Renderer: r}); err == nil {
		t.Error("New accepted a renderer that is not deterministic")
	}
	if _, err := New(Options{}); err != nil {
		t.Errorf("New with defaults: %v", err)
	}
}

func TestLeaves(t *testing.T) {
	vals := map[string]any{
		"a":     map[string]any{"b": 1, "c": map[string]any{"d.e": "x"}, "empty": map[string]any{}},
		"list":  []any{map[string]any{"x": 1}},
		"null":  nil,
		"alpha": true,
	}
	want := [][]string{p("a", "b"), p("a", "c", "d.e"), p("a", "empty"), p("alpha"), p("list"), p("null")}
	if got := Leaves(vals); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Leaves = %q, want %q", got, want)
	}
}

// computedChart reads keys by names built from strings, as the common library of many charts
// does: a helper splits a dotted key at its dots and indexes the values with each part. The
// key password is read that way only; resources is a string elsewhere, never such a name.
func computedChart() *chartv2.Chart {
	return testChart("cn", map[string]any{"primary": map[string]any{"resources": map[string]any{}}}, map[string]string{
		"templates/_utils.tpl": `{{- define "valueFromKey" -}}
{{- $value := "" -}}
{{- $obj := $.context.Values -}}
{{- range splitList "." .key -}}
  {{- $value = "" -}}
  {{- if kindIs "map" $obj }}{{ $value = index $obj . }}{{ end -}}
  {{- $obj = $value -}}
{{- end -}}
{{- printf "%v" (default "" $value) -}}
{{- end -}}
{{- define "keyFromList" -}}
{{- $key := first .keys -}}
{{- range reverse .keys -}}
  {{- if include "valueFromKey" (dict "key" . "context" $.context) }}{{ $key = . }}{{ end -}}
{{- end -}}
{{- $key -}}
{{- end -}}`,
		"templates/secret.yaml": `{{- $key := include "keyFromList" (dict "keys" (list "global.auth.password" "auth.password") "context" $) }}
password: {{ include "valueFromKey" (dict "key" $key "context" $) | quote }}
replication: {{ include "valueFromKey" (dict "key" (printf "%s.%s" "auth" "replicationPassword") "context" $) | quote }}`,
		"templates/deploy.yaml": `{{- if hasKey .Values.primary "resources" }}
resources: {{ toYaml .Values.primary.resources }}
{{- end }}`,
	})
}

// TestAnalyzeComputedNames checks that a key read by a computed name is known as far as the
// names that reach the lookup go, and that a string elsewhere in the templates does not make
// a wrong key known.
func TestAnalyzeComputedNames(t *testing.T) {
	ch := computedChart()
	m, err := buildModel(ch)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path  string
		known int
		free  bool
	}{
		{"auth.password", 2, false},
		{"auth.replicationPassword", 2, false},
		{"global.auth.password", 3, false},
		{"auth.pasword", 1, false},
		{"resources.limits.memory", 0, false},
		{"primary.resources.limits", 2, true},
	} {
		if n, free := knownDepth(m, strings.Split(tc.path, ".")); n != tc.known || free != tc.free {
			t.Errorf("knownDepth(%s) = %d, %v, want %d, %v", tc.path, n, free, tc.known, tc.free)
		}
	}
	vals := map[string]any{
		"auth":      map[string]any{"password": "a", "replicationPassword": "b", "pasword": "c"},
		"resources": map[string]any{"limits": map[string]any{"memory": "1Gi"}},
	}
	want := "unknown-key auth.pasword\nunknown-key resources -> primary.resources"
	if got := summary(analyze(t, ch, vals)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
