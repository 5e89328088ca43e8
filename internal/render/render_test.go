package render

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"

	"kaji.dev/kaji/internal/render/corpus"
)

// loadCorpus loads the corpus cases that keep accepts, and the Kubernetes version that Helm's
// default capabilities have in a real build. It fails when the corpus is missing.
func loadCorpus(t testing.TB, keep func(corpus.Case) bool) ([]corpus.Loaded, string) {
	t.Helper()
	dir, err := corpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	cases, err := corpus.Cases(dir)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := corpus.Load(cases, keep)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := corpus.KubeVersion()
	if err != nil {
		t.Fatal(err)
	}
	return loaded, kv
}

// firstOfEachChart keeps one case per chart: the first ci file, or the default render.
func firstOfEachChart() func(corpus.Case) bool {
	seen := map[string]bool{}
	return func(c corpus.Case) bool {
		if seen[c.Chart] {
			return false
		}
		if c.Name == "default" && c.Chart != "aws-for-fluent-bit" && c.Chart != "aws-vpc-cni" &&
			c.Chart != "redis" && c.Chart != "postgresql" {
			return false // these charts have ci files; take the first of them
		}
		seen[c.Chart] = true
		return true
	}
}

func newRenderer(t testing.TB, opts Options) *Renderer {
	t.Helper()
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRenderMatchesHelmInstall renders one case of each corpus chart with Render and with
// Helm's own client-side dry-run install (what `helm template` runs), sharing the
// deterministic functions, and compares the manifests, hooks and notes that Helm builds from
// the rendered files.
func TestRenderMatchesHelmInstall(t *testing.T) {
	cases, kv := loadCorpus(t, firstOfEachChart())
	if len(cases) != 11 {
		t.Fatalf("want one case for each of the 11 corpus charts, got %d", len(cases))
	}
	r := newRenderer(t, Options{Deterministic: true, KubeVersion: kv, ReleaseName: "test", Namespace: "ns"})
	for _, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			files, err := r.Render(context.Background(), c.Chart, c.Values)
			if err != nil {
				t.Fatal(err)
			}
			got, err := helmOutput(files, c.Chart.Name())
			if err != nil {
				t.Fatal(err)
			}
			want, err := helmInstall(t, r, c, kv)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Render differs from helm install --dry-run=client:\n%s", firstDiff(got, want))
			}
		})
	}
}

// helmOutput assembles rendered files the way action.Install does for a dry run: the notes of
// the root chart, the hooks, and the manifests sorted in install order.
func helmOutput(files map[string]string, chartName string) (string, error) {
	files = maps.Clone(files)
	var b strings.Builder
	for name, text := range files {
		if IsNotes(name) {
			if name == chartName+"/templates/NOTES.txt" {
				fmt.Fprintf(&b, "NOTES:\n%s\n", text)
			}
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return "", err
	}
	for _, h := range hooks {
		fmt.Fprintf(&b, "HOOK %s:\n%s\n", h.Path, h.Manifest)
	}
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Name, m.Content)
	}
	return b.String(), nil
}

func helmInstall(t *testing.T, r *Renderer, c corpus.Loaded, kv string) (string, error) {
	t.Helper()
	ch, err := loader.LoadDir(c.ChartDir) // Install processes dependencies in place
	if err != nil {
		return "", err
	}
	cfg := action.NewConfiguration()
	cfg.CustomTemplateFuncs = r.TemplateFuncs()
	in := action.NewInstall(cfg)
	in.DryRunStrategy = action.DryRunClient
	in.ReleaseName = "test"
	in.Namespace = "ns"
	in.Replace = true
	if in.KubeVersion, err = common.ParseKubeVersion(kv); err != nil {
		return "", err
	}
	rel, err := in.RunWithContext(context.Background(), ch, c.Values)
	if err != nil {
		return "", err
	}
	v1, ok := rel.(*rspb.Release)
	if !ok {
		return "", fmt.Errorf("release of type %T", rel)
	}
	var b strings.Builder
	if v1.Info.Notes != "" {
		fmt.Fprintf(&b, "NOTES:\n%s\n", v1.Info.Notes)
	}
	for _, h := range v1.Hooks {
		fmt.Fprintf(&b, "HOOK %s:\n%s\n", h.Path, h.Manifest)
	}
	b.WriteString(v1.Manifest)
	return b.String(), nil
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(la), len(lb)) {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  render: %q\n  helm:   %q", i+1, x, y)
		}
	}
	return "(no line differs)"
}

// TestDeterministic renders one case of each corpus chart, and the default render of each
// chart that generates passwords or certificates, twice with one deterministic Renderer, its
// cache off, and expects byte-identical output; a second Renderer must agree too, except for
// charts that generate keys, which are repeated per Renderer only. Without deterministic mode,
// the charts that generate passwords and certificates must differ between two renders, or
// the test would prove nothing.
func TestDeterministic(t *testing.T) {
	random := []string{"grafana/default", "aws-load-balancer-controller/default", "redis/default", "postgresql/default"}
	first := firstOfEachChart()
	cases, kv := loadCorpus(t, func(c corpus.Case) bool { return first(c) || slices.Contains(random, c.String()) })
	a := newRenderer(t, Options{Deterministic: true, KubeVersion: kv, CacheSize: -1})
	b := newRenderer(t, Options{Deterministic: true, KubeVersion: kv, CacheSize: -1})
	for _, c := range cases {
		x, err := a.Render(context.Background(), c.Chart, c.Values)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		y, err := a.Render(context.Background(), c.Chart, c.Values)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if !maps.Equal(x, y) {
			t.Errorf("%s: two deterministic renders differ", c)
		}
		if generatesKeys(c.Chart) {
			continue
		}
		z, err := b.Render(context.Background(), c.Chart, c.Values)
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		if !maps.Equal(x, z) {
			t.Errorf("%s: two deterministic renderers disagree", c)
		}
	}

	plain := newRenderer(t, Options{KubeVersion: kv, CacheSize: -1})
	for _, name := range random {
		c := find(t, cases, name)
		x, err := plain.Render(context.Background(), c.Chart, c.Values)
		if err != nil {
			t.Fatal(err)
		}
		y, err := plain.Render(context.Background(), c.Chart, c.Values)
		if err != nil {
			t.Fatal(err)
		}
		if maps.Equal(x, y) {
			t.Errorf("%s: two plain renders are identical; the chart was expected to generate random material", name)
		}
	}
}

// generatesKeys reports whether a template of ch or its subcharts calls a key generator.
func generatesKeys(ch *chartv2.Chart) bool {
	for _, f := range ch.Templates {
		for _, fn := range []string{"genCA", "genPrivateKey", "genSelfSignedCert", "genSignedCert"} {
			if strings.Contains(string(f.Data), fn) {
				return true
			}
		}
	}
	return slices.ContainsFunc(ch.Dependencies(), generatesKeys)
}

func find(t *testing.T, cases []corpus.Loaded, name string) corpus.Loaded {
	t.Helper()
	for _, c := range cases {
		if c.String() == name {
			return c
		}
	}
	t.Fatalf("no corpus case %s", name)
	return corpus.Loaded{}
}

// TestRenderCache checks that a render is remembered per chart and values, and that callers
// cannot change what is remembered.
func TestRenderCache(t *testing.T) {
	ch := testChart(map[string]string{"templates/a.yaml": `n: {{ randAlphaNum 8 }}-{{ .Values.x }}`})
	plain := newRenderer(t, Options{})
	first, err := plain.Render(context.Background(), ch, map[string]any{"x": 1})
	if err != nil {
		t.Fatal(err)
	}
	first["test/templates/a.yaml"] = "changed by the caller"
	again, err := plain.Render(context.Background(), ch, map[string]any{"x": 1})
	if err != nil {
		t.Fatal(err)
	}
	if again["test/templates/a.yaml"] == "changed by the caller" {
		t.Error("the caller's change reached the cache")
	}
	other, err := plain.Render(context.Background(), ch, map[string]any{"x": 2})
	if err != nil {
		t.Fatal(err)
	}
	// The random part shows whether a render was repeated or remembered.
	if prefix(again) == prefix(other) {
		t.Errorf("values 1 and 2 rendered the same random part %q; the cache confuses them", prefix(again))
	}
	third, err := plain.Render(context.Background(), ch, map[string]any{"x": 1})
	if err != nil {
		t.Fatal(err)
	}
	if prefix(third) != prefix(again) {
		t.Error("the same chart and values were rendered twice instead of remembered")
	}
	float, err := plain.Render(context.Background(), ch, map[string]any{"x": 1.5})
	if err != nil {
		t.Fatal(err)
	}
	if float["test/templates/a.yaml"] == again["test/templates/a.yaml"] {
		t.Error("values 1 and 1.5 share a cache entry")
	}
}

func prefix(files map[string]string) string {
	s := files["test/templates/a.yaml"]
	return s[:min(len(s), 11)]
}

// testChart builds a chart named test from template texts.
func testChart(templates map[string]string) *chartv2.Chart {
	ch := &chartv2.Chart{Metadata: &chartv2.Metadata{APIVersion: "v2", Name: "test", Version: "1.0.0"}, Values: map[string]any{}}
	for name, text := range templates {
		ch.Templates = append(ch.Templates, &common.File{Name: name, Data: []byte(text)})
	}
	return ch
}

// TestPrepareDisablesSubcharts checks that Prepare applies conditions like Helm and leaves the
// caller's chart alone.
func TestPrepareDisablesSubcharts(t *testing.T) {
	cases, kv := loadCorpus(t, func(c corpus.Case) bool { return c.String() == "prometheus/default" })
	r := newRenderer(t, Options{Deterministic: true, KubeVersion: kv})
	ch := cases[0].Chart
	before := len(ch.Dependencies())
	p, err := r.Prepare(ch, map[string]any{"alertmanager": map[string]any{"enabled": false}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range p.Chart.Dependencies() {
		names = append(names, d.Name())
	}
	if strings.Contains(strings.Join(names, ","), "alertmanager") {
		t.Errorf("alertmanager.enabled=false left the subchart in: %v", names)
	}
	if len(ch.Dependencies()) != before {
		t.Errorf("Prepare changed the caller's chart: %d dependencies, had %d", len(ch.Dependencies()), before)
	}
	if _, ok := p.Values["kube-state-metrics"].(map[string]any); !ok {
		t.Error("the values lack the defaults of the enabled subchart kube-state-metrics")
	}
}

// TestValidateSchema checks values against a chart's values.schema.json.
func TestValidateSchema(t *testing.T) {
	cases, kv := loadCorpus(t, func(c corpus.Case) bool { return c.String() == "prometheus/default" })
	r := newRenderer(t, Options{KubeVersion: kv})
	ch := cases[0].Chart
	if err := r.ValidateSchema(ch, map[string]any{}); err != nil {
		t.Errorf("default values: %v", err)
	}
	bad := map[string]any{"alertmanager": map[string]any{"enabled": "yes"}}
	if err := r.ValidateSchema(ch, bad); err == nil {
		t.Error("alertmanager.enabled: \"yes\" passed the schema, which wants a boolean")
	}
	// Render itself does not validate, as the brief of ValidateSchema says.
	if _, err := r.Render(context.Background(), ch, map[string]any{"server": map[string]any{"replicaCount": "two"}}); err != nil &&
		strings.Contains(err.Error(), "schema") {
		t.Errorf("Render validated the schema: %v", err)
	}
}

func TestNewRejectsBadKubeVersion(t *testing.T) {
	if _, err := New(Options{KubeVersion: "not-a-version"}); err == nil {
		t.Error("New accepted kube version not-a-version")
	}
}

// TestKubeVersionOption checks that KubeVersion reaches .Capabilities and kubeVersion checks.
func TestKubeVersionOption(t *testing.T) {
	ch := testChart(map[string]string{"templates/v.yaml": `v: {{ .Capabilities.KubeVersion.Version }}`})
	ch.Metadata.KubeVersion = ">=1.30.0-0"
	r := newRenderer(t, Options{KubeVersion: "v1.31.2"})
	files, err := r.Render(context.Background(), ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := files["test/templates/v.yaml"]; got != "v: v1.31.2" {
		t.Errorf("got %q", got)
	}
	old := newRenderer(t, Options{KubeVersion: "v1.29.0"})
	if _, err := old.Render(context.Background(), ch, nil); err == nil {
		t.Error("a chart for >=1.30 rendered for Kubernetes 1.29")
	}
}

// TestReleaseOptions checks the .Release fields that Options set.
func TestReleaseOptions(t *testing.T) {
	ch := testChart(map[string]string{"templates/r.yaml": `{{ .Release.Name }} {{ .Release.Namespace }} {{ .Release.IsInstall }} {{ .Release.IsUpgrade }}`})
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "release-name default true false"},
		{Options{ReleaseName: "web", Namespace: "prod", IsUpgrade: true}, "web prod false true"},
	} {
		files, err := newRenderer(t, tc.opts).Render(context.Background(), ch, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := files["test/templates/r.yaml"]; got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.opts, got, tc.want)
		}
	}
}

// TestNotesKept checks that NOTES.txt is rendered and partials are not.
func TestNotesKept(t *testing.T) {
	ch := testChart(map[string]string{
		"templates/NOTES.txt":    "note {{ .Values.x }}",
		"templates/_helpers.tpl": `{{ define "h" }}h{{ end }}`,
	})
	files, err := newRenderer(t, Options{}).Render(context.Background(), ch, map[string]any{"x": "y"})
	if err != nil {
		t.Fatal(err)
	}
	if got := files["test/templates/NOTES.txt"]; got != "note y" {
		t.Errorf("NOTES.txt: %q", got)
	}
	if _, ok := files["test/templates/_helpers.tpl"]; ok {
		t.Error("a partial was rendered")
	}
	if !IsNotes("test/templates/NOTES.txt") || IsNotes("test/templates/notes.yaml") {
		t.Error("IsNotes")
	}
}
