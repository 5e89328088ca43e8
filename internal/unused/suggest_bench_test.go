package unused

import (
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/strvals"

	"kaji.dev/kaji/internal/render/corpus"
)

// BenchmarkSuggest measures the suggestion step alone on the largest chart of the corpus
// (prometheus with its four subcharts), for unknown keys at the top, where every known key
// of the chart is a candidate, and deeper down. The model and the evaluated references are
// built once, outside the measurement, as Analyze builds them once per run.
func BenchmarkSuggest(b *testing.B) {
	cases, _, r := corpusCases(b, func(c corpus.Case) bool { return c.String() == "prometheus/ci/11-default-values.yaml" })
	c := cases["prometheus/ci/11-default-values.yaml"]
	vals, _ := deepCopy(c.Values).(map[string]any)
	mistakes := []string{"service.type=NodePort", "replicas=2", "ingressClassName=x", "server.service.port=1",
		"server.pdb.enabled=true", "alertmanager.replicas=2", "server.statefulSet.replicaCount=2", "zebra=1"}
	var paths [][]string
	for _, set := range mistakes {
		if err := strvals.ParseInto(set, vals); err != nil {
			b.Fatal(err)
		}
		key, _, _ := strings.Cut(set, "=")
		parts := strings.Split(key, ".")
		if len(parts) > 1 && strings.HasSuffix(set, "true") {
			parts = parts[:len(parts)-1]
		}
		paths = append(paths, parts)
	}
	m, err := buildModel(c.Chart)
	if err != nil {
		b.Fatal(err)
	}
	prep, err := r.Prepare(c.Chart, vals)
	if err != nil {
		b.Fatal(err)
	}
	st := evaluate(m, prep)
	for b.Loop() {
		for _, p := range paths {
			suggest(m, st, vals, p)
		}
	}
}
