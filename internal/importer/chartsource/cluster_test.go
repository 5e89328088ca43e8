package chartsource_test

import (
	"maps"
	"path/filepath"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/kube"
	rspb "helm.sh/helm/v4/pkg/release/v1"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/importer/chartsource"
	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/render/corpus"
)

// Charts installed with the Helm SDK into a real API server and read back through Helm's
// storage, as kaji import reads them, have the digest of their archive in its stored form,
// match the repository that serves them, and write out to a chart that renders the same.
func TestInstalledReleases(t *testing.T) {
	ns := env.Namespace(t)
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		t.Fatal(err)
	}
	cni, redis := corpusArchive(t, "aws-vpc-cni"), corpusArchive(t, "redis")
	repos := newChartRepos(t)
	reg := newOCIRegistry(t)
	candidates := map[string]string{
		"a-down": downURL(t),
		"b-reg":  reg.push(t, "charts", redis),
		"c-repo": repos.add(t, "good", cni, redis),
	}
	tests := []struct {
		release string
		archive *chartv2.Chart
		config  map[string]any
		want    string
	}{
		{"cni", cni, map[string]any{"env": map[string]any{"WARM_IP_TARGET": "2"}}, "c-repo/aws-vpc-cni"},
		{"cache", redis, map[string]any{"architecture": "standalone", "auth": map[string]any{"password": "pw"}}, "b-reg/redis"},
	}
	for _, tt := range tests {
		t.Run(tt.release, func(t *testing.T) {
			cfg := action.NewConfiguration()
			if err := cfg.Init(conn.Getter(ns), ns, "secret"); err != nil {
				t.Fatal(err)
			}
			in := action.NewInstall(cfg)
			in.ReleaseName, in.Namespace = tt.release, ns
			in.WaitStrategy, in.Timeout = kube.HookOnlyStrategy, time.Minute
			// Install from a fresh copy: Helm modifies the chart it installs.
			if _, err := in.RunWithContext(t.Context(), reload(t, tt.archive), tt.config); err != nil {
				t.Fatal(err)
			}

			// Read it back with a new configuration, through the Secrets storage driver.
			read := action.NewConfiguration()
			if err := read.Init(conn.Getter(ns), ns, "secret"); err != nil {
				t.Fatal(err)
			}
			last, err := read.Releases.Last(tt.release)
			if err != nil {
				t.Fatal(err)
			}
			rel, ok := last.(*rspb.Release)
			if !ok {
				t.Fatalf("release %s is a %T", tt.release, last)
			}
			stored := rel.Chart
			if len(stored.Dependencies()) != 0 {
				t.Errorf("the release record kept %d subcharts; Digest assumes Helm keeps none", len(stored.Dependencies()))
			}
			form, err := chartsource.StoredForm(tt.archive, rel.Config)
			if err != nil {
				t.Fatal(err)
			}
			if d := chartsource.FirstDifference(form, stored); d != "" {
				t.Errorf("the stored form of the archive differs from the release's chart in %s", d)
			}
			if len(tt.archive.Metadata.Dependencies) == 0 && chartsource.Digest(tt.archive) != chartsource.Digest(stored) {
				t.Errorf("the archive differs from the release's chart in %s", chartsource.FirstDifference(tt.archive, stored))
			}

			loader := chart.NewLoader(chart.Options{CacheDir: t.TempDir(), HTTPClient: repos.srv.Client(), RegistryClient: reg.client})
			res, err := chartsource.Match(t.Context(), loader, stored, rel.Config, candidates)
			if err != nil {
				t.Fatal(err)
			}
			if res.Chart != tt.want || len(res.FetchErrors()) != 1 {
				t.Errorf("matched %q with attempts %v, want %s after one fetch error", res.Chart, res.Attempts, tt.want)
			}

			if len(stored.Metadata.Dependencies) > 0 {
				return // see TestWriteLocalSubcharts
			}
			kajiDir := t.TempDir()
			local, err := chartsource.WriteLocal(kajiDir, stored)
			if err != nil {
				t.Fatal(err)
			}
			written, err := chart.NewLoader(chart.Options{CacheDir: t.TempDir()}).Load(t.Context(), filepath.Join(kajiDir, local), rel.Chart.Metadata.Version)
			if err != nil {
				t.Fatal(err)
			}
			if chartsource.Digest(written.Chart) != res.Digest {
				t.Errorf("the written chart differs from the release's in %s", chartsource.FirstDifference(written.Chart, stored))
			}
			kubeVersion, err := corpus.KubeVersion()
			if err != nil {
				t.Fatal(err)
			}
			r, err := render.New(render.Options{Deterministic: true, ReleaseName: tt.release, Namespace: ns, CacheSize: -1, KubeVersion: kubeVersion})
			if err != nil {
				t.Fatal(err)
			}
			want, err := r.Render(t.Context(), stored, rel.Config)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Render(t.Context(), written.Chart, rel.Config)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || !maps.Equal(got, want) {
				t.Errorf("the written chart renders differently in %v", differing(got, want))
			}
		})
	}
}
