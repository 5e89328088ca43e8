package upgrade

import (
	"context"
	"strings"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"kaji.dev/kaji/internal/unused"
)

func load(t *testing.T, file string) *chartv2.Chart {
	t.Helper()
	ch, err := loader.Load("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func comparer(t *testing.T) *Comparer {
	t.Helper()
	a, err := unused.New(unused.Options{Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	return &Comparer{Analyzer: a}
}

// summary writes dropped keys as "kind path (leaves) -> suggestion | gate", one a line.
func summary(ds []Dropped) string {
	var lines []string
	for _, d := range ds {
		line := string(d.Kind) + " " + d.Key()
		if d.Suggestion != nil {
			line += " -> " + unused.PathString(d.Suggestion)
		}
		if d.Gate != nil {
			line += " | " + unused.PathString(d.Gate)
		}
		lines = append(lines, line+" "+d.From+"→"+d.To)
	}
	return strings.Join(lines, "\n")
}

// TestComparePrometheus19 compares prometheus 18.4.0 with 19.0.0, which removed
// server.enabled (the server is always installed since its components became subcharts): a
// user who turned the server off gets it back without a word. Keys both versions read, and a
// misspelt key neither reads, are not reported.
func TestComparePrometheus19(t *testing.T) {
	from, to := load(t, "prometheus-18.4.0.tgz"), load(t, "prometheus-19.0.0.tgz")
	// The subcharts of 19.0.0 are not vendored: they are turned off, as their conditions
	// allow.
	vals := map[string]any{
		"server":                   map[string]any{"enabled": false},
		"alertmanager":             map[string]any{"enabled": false},
		"kube-state-metrics":       map[string]any{"enabled": false},
		"prometheus-node-exporter": map[string]any{"enabled": false},
		"prometheus-pushgateway":   map[string]any{"enabled": false},
		"serviceAccounts":          map[string]any{"server": map[string]any{"create": false}},
		"servre":                   map[string]any{"retention": "10d"},
	}
	c := comparer(t)
	got, err := c.Compare(context.Background(), from, to, vals)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d dropped keys, want 1:\n%s", len(got), summary(got))
	}
	d := got[0]
	if d.Key() != "server.enabled" || d.Kind != unused.UnknownKey || d.From != "18.4.0" || d.To != "19.0.0" ||
		len(d.Leaves) != 1 || unused.PathString(d.Leaves[0]) != "server.enabled" {
		t.Errorf("got %s", summary(got))
	}
	if msg := d.Message(); !strings.HasPrefix(msg, "server.enabled stops working in 19.0.0 (it worked in 18.4.0): the new chart does not use this key") {
		t.Errorf("message: %s", msg)
	}

	// The other way round server.enabled works again, and turns off the server's service
	// account that 19.0.0 creates.
	back, err := c.Compare(context.Background(), to, from, vals)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(back), "no-effect serviceAccounts.server.create | server.enabled 19.0.0→18.4.0"; got != want {
		t.Errorf("19.0.0 → 18.4.0 drops:\n%s\nwant:\n%s", got, want)
	}
	if msg := back[0].Message(); msg != "serviceAccounts.server.create stops working in 18.4.0 (it worked in 19.0.0): in the new chart server.enabled turns it off" {
		t.Errorf("message: %s", msg)
	}
}
