package unused

import (
	"context"
	"maps"
	"slices"
	"testing"

	"helm.sh/helm/v4/pkg/strvals"

	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/render/corpus"
)

// corpusCases loads the corpus cases that keep accepts (all when nil) and a deterministic
// Renderer configured like a real build of kaji. It fails the test when the corpus is missing.
func corpusCases(tb testing.TB, keep func(corpus.Case) bool) (map[string]corpus.Loaded, []string, *render.Renderer) {
	tb.Helper()
	dir, err := corpus.Dir()
	if err != nil {
		tb.Fatal(err)
	}
	cases, err := corpus.Cases(dir)
	if err != nil {
		tb.Fatal(err)
	}
	loaded, err := corpus.Load(cases, keep)
	if err != nil {
		tb.Fatal(err)
	}
	kv, err := corpus.KubeVersion()
	if err != nil {
		tb.Fatal(err)
	}
	r, err := render.New(render.Options{Deterministic: true, KubeVersion: kv})
	if err != nil {
		tb.Fatal(err)
	}
	byName := map[string]corpus.Loaded{}
	var names []string
	for _, c := range loaded {
		byName[c.String()] = c
		names = append(names, c.String())
	}
	return byName, names, r
}

func newAnalyzer(tb testing.TB, r *render.Renderer) *Analyzer {
	tb.Helper()
	a, err := New(Options{Renderer: r})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// TestCorpusHasNoUnknownKeys analyzes every corpus case that Helm renders (each chart's
// defaults where they render, and each ci/ values file with its extra flags) and expects no
// unknown key: the values come from the charts' own maintainers.
func TestCorpusHasNoUnknownKeys(t *testing.T) {
	cases, names, r := corpusCases(t, nil)
	if len(names) < 60 {
		t.Fatalf("only %d corpus cases; the manifest lists about 70", len(names))
	}
	a := newAnalyzer(t, r)
	for _, name := range names {
		c := cases[name]
		t.Run(name, func(t *testing.T) {
			fs, err := a.Analyze(context.Background(), c.Chart, c.Values, Leaves(c.Values))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				if f.Kind == UnknownKey {
					t.Errorf("unknown key %s (suggestion %s)", PathString(f.Path), PathString(f.Suggestion))
				}
			}
		})
	}
}

// mistake is a key injected into a corpus case with Helm's --set syntax.
type mistake struct {
	name, inCase, set string
	kind              Kind
	path              []string
	suggestion        []string // for unknown keys
	gate              []string // for keys without effect
}

// TestCorpusFindsMistakes injects mistakes into real values, expects each to be reported at
// its path with the right suggestion or gate, and checks that each is truly silent: the
// deterministic render is byte-identical with and without it.
func TestCorpusFindsMistakes(t *testing.T) {
	const (
		nginx   = "ingress-nginx/ci/controller-deployment-values.yaml"
		grafana = "grafana/ci/default-values.yaml"
		prom    = "prometheus/ci/11-default-values.yaml"
	)
	mistakes := []mistake{
		{name: "typo", inCase: nginx, set: "controller.replicaCont=3",
			kind: UnknownKey, path: p("controller", "replicaCont"), suggestion: p("controller", "replicaCount")},
		{name: "typo in another chart", inCase: "prometheus-node-exporter/ci/default-values.yaml", set: "hostNetwrok=false",
			kind: UnknownKey, path: p("hostNetwrok"), suggestion: p("hostNetwork")},
		{name: "transposition", inCase: nginx, set: "controller.replicaCoutn=3",
			kind: UnknownKey, path: p("controller", "replicaCoutn"), suggestion: p("controller", "replicaCount")},
		{name: "wrong case", inCase: nginx, set: "controller.replicacount=3",
			kind: UnknownKey, path: p("controller", "replicacount"), suggestion: p("controller", "replicaCount")},
		{name: "wrong case of a map", inCase: grafana, set: "Persistence.enabled=true",
			kind: UnknownKey, path: p("Persistence"), suggestion: p("persistence")},
		{name: "wrong nesting level", inCase: nginx, set: "resources.limits.cpu=100m",
			kind: UnknownKey, path: p("resources"), suggestion: p("controller", "resources")},
		{name: "key of another chart", inCase: nginx, set: "controller.replicas=2",
			kind: UnknownKey, path: p("controller", "replicas"), suggestion: p("controller", "replicaCount")},
		{name: "key of another chart the other way", inCase: grafana, set: "replicaCount=2",
			kind: UnknownKey, path: p("replicaCount"), suggestion: p("replicas")},
		{name: "typo in a subchart", inCase: prom, set: "alertmanager.replicaCoutn=2",
			kind: UnknownKey, path: p("alertmanager", "replicaCoutn"), suggestion: p("alertmanager", "replicaCount")},
		{name: "typo in a chart with computed lookups", inCase: "redis/default", set: "replica.replicaCoutn=3",
			kind: UnknownKey, path: p("replica", "replicaCoutn"), suggestion: p("replica", "replicaCount")},
		{name: "disabled ingress", inCase: grafana, set: "ingress.hosts[0]=grafana.example.com",
			kind: NoEffect, path: p("ingress", "hosts"), gate: p("ingress", "enabled")},
		{name: "disabled ingress of a component", inCase: prom, set: "server.ingress.hosts[0]=prom.example.com",
			kind: NoEffect, path: p("server", "ingress", "hosts"), gate: p("server", "ingress", "enabled")},
		{name: "disabled subchart", inCase: prom, set: "alertmanager.enabled=false,alertmanager.replicaCount=2",
			kind: NoEffect, path: p("alertmanager", "replicaCount"), gate: p("alertmanager", "enabled")},
		{name: "disabled component", inCase: "argo-rollouts/ci/default-values.yaml", set: "dashboard.replicas=3",
			kind: NoEffect, path: p("dashboard", "replicas"), gate: p("dashboard", "enabled")},
	}
	want := map[string]bool{}
	for _, m := range mistakes {
		want[m.inCase] = true
	}
	cases, _, r := corpusCases(t, func(c corpus.Case) bool { return want[c.String()] })
	a := newAnalyzer(t, r)
	for _, m := range mistakes {
		t.Run(m.name, func(t *testing.T) {
			c, ok := cases[m.inCase]
			if !ok {
				t.Fatalf("no corpus case %s", m.inCase)
			}
			vals := inject(t, c.Values, m.set)
			fs, err := a.Analyze(context.Background(), c.Chart, vals, Leaves(vals))
			if err != nil {
				t.Fatal(err)
			}
			f, found := findAt(fs, m.path)
			switch {
			case !found:
				t.Fatalf("no finding at %s; findings: %v", PathString(m.path), fs)
			case f.Kind != m.kind:
				t.Errorf("kind %s, want %s", f.Kind, m.kind)
			case !slices.Equal(f.Suggestion, m.suggestion):
				t.Errorf("suggestion %q, want %q", f.Suggestion, m.suggestion)
			case !slices.Equal(f.Gate, m.gate):
				t.Errorf("gate %q, want %q", f.Gate, m.gate)
			}
			for _, other := range fs {
				if !slices.Equal(other.Path, m.path) {
					t.Errorf("another finding: %s %s", other.Kind, PathString(other.Path))
				}
			}
			// The mistake must be silent: removing it changes no byte of the output.
			without := c.Values
			if m.kind == NoEffect {
				without = withoutLeaf(vals, m.path)
			}
			assertSameRender(t, r, c, vals, without)
		})
	}
}

// TestCorpusFreeForm checks that keys inside maps that charts take as they are, such as
// annotations, labels, node selectors and configuration maps, never yield a finding.
func TestCorpusFreeForm(t *testing.T) {
	const nginx = "ingress-nginx/ci/controller-deployment-values.yaml"
	injections := []struct{ inCase, set string }{
		{nginx, `controller.podAnnotations.example\.com/unknown-annotation=x`},
		{nginx, `controller.nodeSelector.example\.com/pool=blue`},
		{nginx, `controller.config.some-unlisted-option=true`},
		{nginx, `controller.service.annotations.anything=x`},
		{nginx, `tcp.8080=default/svc:8080`},
		{"grafana/ci/default-values.yaml", `podLabels.team=blue`},
		{"grafana/ci/default-values.yaml", `grafana\.ini.server.some_new_setting=x`},
		{"prometheus/ci/11-default-values.yaml", `alertmanager.podAnnotations.foo=bar`},
		{"prometheus/ci/11-default-values.yaml", `server.extraArgs.some\.flag=x`},
		{"kube-state-metrics/ci/01-default-values.yaml", `customLabels.team=blue`},
	}
	want := map[string]bool{}
	for _, in := range injections {
		want[in.inCase] = true
	}
	cases, _, r := corpusCases(t, func(c corpus.Case) bool { return want[c.String()] })
	a := newAnalyzer(t, r)
	for _, in := range injections {
		t.Run(in.set, func(t *testing.T) {
			c := cases[in.inCase]
			vals := inject(t, c.Values, in.set)
			fs, err := a.Analyze(context.Background(), c.Chart, vals, Leaves(vals))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fs {
				t.Errorf("finding %s at %s", f.Kind, PathString(f.Path))
			}
			// The injected key must matter, or a finding could be right.
			if same(t, r, c, vals, c.Values) {
				t.Errorf("%s changes nothing; pick a key that the chart uses", in.set)
			}
		})
	}
}

func p(segs ...string) []string { return segs }

// inject returns a copy of vals with a --set expression applied.
func inject(t *testing.T, vals map[string]any, set string) map[string]any {
	t.Helper()
	out, _ := deepCopy(vals).(map[string]any)
	if err := strvals.ParseInto(set, out); err != nil {
		t.Fatalf("--set %s: %v", set, err)
	}
	return out
}

func withoutLeaf(vals map[string]any, path []string) map[string]any {
	out, _ := deepCopy(vals).(map[string]any)
	deletePath(out, path)
	return out
}

func findAt(fs []Finding, path []string) (Finding, bool) {
	for _, f := range fs {
		if slices.Equal(f.Path, path) {
			return f, true
		}
	}
	return Finding{}, false
}

func same(t *testing.T, r *render.Renderer, c corpus.Loaded, a, b map[string]any) bool {
	t.Helper()
	x, err := r.Render(context.Background(), c.Chart, a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := r.Render(context.Background(), c.Chart, b)
	if err != nil {
		t.Fatal(err)
	}
	return maps.Equal(x, y)
}

func assertSameRender(t *testing.T, r *render.Renderer, c corpus.Loaded, a, b map[string]any) {
	t.Helper()
	if !same(t, r, c, a, b) {
		t.Error("the injected key changes the rendered output; it is not a silent mistake")
	}
}
