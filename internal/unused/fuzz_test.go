package unused

import (
	"bytes"
	"context"
	"reflect"
	"slices"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"kaji.dev/kaji/internal/render"
)

// FuzzAnalyze analyzes arbitrary values against a fixed small chart. Whatever the values:
// the analysis gives the same findings twice, sorted by path; each finding covers leaves the
// user set, below its path; and a key reported unknown is not one the chart's templates read.
func FuzzAnalyze(f *testing.F) {
	for _, seed := range []string{
		"replicaCount: 2\nimage: {tag: v2}\n",
		"replicas: 2\nimage: {tga: v2}\ningress: {hosts: [a]}\n",
		"ingress: {enabled: true, hosts: [a, b], annotations: {x: y}}\n",
		"podAnnotations: {a: b}\nextra: {deep: {er: 1}}\nconfig: '{{ .Values.mode }}'\n",
		"mode: advanced\nadvanced: {level: 3}\n",
		"image: 3\ningress: [1]\n",
	} {
		f.Add([]byte(seed))
	}
	r, err := render.New(render.Options{Deterministic: true})
	if err != nil {
		f.Fatal(err)
	}
	a, err := New(Options{Renderer: r, Parallelism: 1})
	if err != nil {
		f.Fatal(err)
	}
	ch := fuzzChart()
	f.Fuzz(func(t *testing.T, raw []byte) {
		vals, err := loader.LoadValues(bytes.NewReader(raw))
		if err != nil {
			return
		}
		set := Leaves(vals)
		got, err := a.Analyze(context.Background(), ch, vals, set)
		again, err2 := a.Analyze(context.Background(), ch, vals, set)
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(got, again) {
			t.Fatalf("two analyses differ: %v, %v and %v, %v", got, err, again, err2)
		}
		if err != nil {
			return // values the chart does not render with
		}
		if !slices.IsSortedFunc(got, func(x, y Finding) int { return slices.Compare(x.Path, y.Path) }) {
			t.Errorf("findings not sorted by path: %v", got)
		}
		for _, fd := range got {
			if len(fd.Leaves) == 0 {
				t.Errorf("finding %v covers no leaf", fd.Path)
			}
			for _, leaf := range fd.Leaves {
				if !slices.ContainsFunc(set, func(s []string) bool { return slices.Equal(s, leaf) }) || !hasPrefix(leaf, fd.Path) {
					t.Errorf("finding %v covers %v, which is not a leaf set below it", fd.Path, leaf)
				}
			}
			if fd.Kind == UnknownKey && len(fd.Path) == 1 && slices.Contains(readKeys, fd.Path[0]) {
				t.Errorf("key %q, which the templates read, is reported unknown", fd.Path[0])
			}
		}
	})
}

// readKeys are the top-level keys the templates of fuzzChart read.
var readKeys = []string{"replicaCount", "image", "ingress", "podAnnotations", "config", "mode", "advanced"}

// fuzzChart is a small chart with the usual shapes: a scalar, an image, an ingress that is
// off by default, a free-form map, a config passed through tpl and a mode switch.
func fuzzChart() *chartv2.Chart {
	ch := &chartv2.Chart{
		Metadata: &chartv2.Metadata{APIVersion: "v2", Name: "app", Version: "1.0.0"},
		Values: map[string]any{
			"replicaCount":   1,
			"image":          map[string]any{"repository": "nginx", "tag": "1.27"},
			"ingress":        map[string]any{"enabled": false, "hosts": []any{}, "annotations": map[string]any{}},
			"podAnnotations": map[string]any{},
			"config":         "",
			"mode":           "simple",
		},
	}
	for name, text := range map[string]string{
		"templates/deploy.yaml": `replicas: {{ .Values.replicaCount }}
image: {{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- with .Values.podAnnotations }}
annotations: {{ toYaml . | nindent 2 }}
{{- end }}
config: {{ tpl (toString .Values.config) $ | quote }}
{{- if eq (toString .Values.mode) "advanced" }}
advanced: {{ .Values.advanced.level }}
{{- end }}`,
		"templates/ingress.yaml": `{{- if .Values.ingress.enabled }}
hosts: {{ toYaml .Values.ingress.hosts | nindent 2 }}
annotations: {{ toYaml .Values.ingress.annotations | nindent 2 }}
{{- end }}`,
	} {
		ch.Templates = append(ch.Templates, &common.File{Name: name, Data: []byte(text)})
	}
	return ch
}
