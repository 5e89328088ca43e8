package upgrade

import (
	"context"
	"slices"
	"testing"

	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/unused"
)

// TestCompareArgoCD compares argo-cd chart versions that dropped a setting users had: 6.9.0
// no longer reads applicationSet.enabled (the ApplicationSet controller is always installed,
// so a user who turned it off gets it back), and 6.0.0 no longer reads server.ingress.https
// (and takes one hostname where it took a list of hosts). Keys that both versions read are not
// reported.
func TestCompareArgoCD(t *testing.T) {
	tests := []struct {
		from, to string
		vals     map[string]any
		want     []string
	}{
		{"6.8.1", "6.9.0",
			map[string]any{
				"applicationSet": map[string]any{"enabled": false},
				"server":         map[string]any{"replicas": 2},
			},
			[]string{"applicationSet.enabled"}},
		{"5.55.0", "6.0.0",
			map[string]any{
				"server": map[string]any{"ingress": map[string]any{"enabled": true, "https": true, "hosts": []any{"argocd.example.com"}}},
			},
			// 6.0.0 names one host (server.ingress.hostname) where 5.x took a list.
			[]string{"server.ingress.hosts", "server.ingress.https"}},
	}
	// argo-cd requires Kubernetes 1.23 or later, and Helm's capabilities in a test say 1.20.
	r, err := render.New(render.Options{Deterministic: true, KubeVersion: "v1.30.0"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := unused.New(unused.Options{Renderer: r, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	c := &Comparer{Analyzer: a}
	for _, tt := range tests {
		t.Run(tt.from+"→"+tt.to, func(t *testing.T) {
			from, to := load(t, "argo-cd-"+tt.from+".tgz"), load(t, "argo-cd-"+tt.to+".tgz")
			got, err := c.Compare(context.Background(), from, to, tt.vals)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, d := range got {
				if d.Kind != unused.UnknownKey || d.From != tt.from || d.To != tt.to {
					t.Errorf("got %s", summary([]Dropped{d}))
				}
				keys = append(keys, d.Key())
			}
			if !slices.Equal(keys, tt.want) {
				t.Fatalf("got:\n%s\nwant the unknown keys %v", summary(got), tt.want)
			}
			// Upgrading to the same version drops nothing.
			same, err := c.Compare(context.Background(), to, to, tt.vals)
			if err != nil {
				t.Fatal(err)
			}
			if len(same) != 0 {
				t.Errorf("%s → %s drops:\n%s", tt.to, tt.to, summary(same))
			}
		})
	}
}
