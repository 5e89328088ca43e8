package validate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// serveCharts serves the chart packages of files from an in-process chart repository with a
// generated index, and returns its URL.
func serveCharts(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAgainstVersion checks validate --against-version offline: with prometheus 19.0.0 in
// kaji.yaml and 18.4.0 to compare with, server.enabled, which 19.0.0 removed, is an error at
// the key; without the option, or against the same version, it is only an unknown key.
func TestAgainstVersion(t *testing.T) {
	url := serveCharts(t, "../upgrade/testdata/prometheus-18.4.0.tgz", "../upgrade/testdata/prometheus-19.0.0.tgz")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"kaji.yaml": `apiVersion: kaji.dev/v1alpha1
project: test
repositories:
  pc: ` + url + `
releases:
  - name: prom
    namespace: monitoring
    chart: pc/prometheus
    version: 19.0.0
    values:
      server:
        enabled: false
      alertmanager: {enabled: false}
      kube-state-metrics: {enabled: false}
      prometheus-node-exporter: {enabled: false}
      prometheus-pushgateway: {enabled: false}
`,
	})
	run := func(against map[string]string) []string {
		t.Helper()
		rep, err := Run(context.Background(), filepath.Join(dir, "kaji.yaml"), "", Options{ChartCache: t.TempDir(), AgainstVersions: against, Parallelism: 2})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range rep.Findings {
			if f.Code == CodeDroppedKey || f.Code == CodeUnknownKey {
				out = append(out, string(f.Severity)+" "+string(f.Code)+" "+strings.TrimPrefix(f.Pos.String(), dir+"/")+" "+f.PathString()+": "+f.Message)
			}
		}
		return out
	}
	got := strings.Join(run(map[string]string{"prom": "18.4.0"}), "\n")
	for _, want := range []string{
		"error dropped-key kaji.yaml:12:9 server.enabled: server.enabled stops working in 19.0.0 (it worked in 18.4.0): the new chart does not use this key",
		"warning unknown-key kaji.yaml:12:9 server.enabled: chart prometheus does not use this key",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("findings lack %q:\n%s", want, got)
		}
	}
	for _, against := range []map[string]string{nil, {"prom": "19.0.0"}} {
		if got := strings.Join(run(against), "\n"); strings.Contains(got, "dropped-key") {
			t.Errorf("against %v:\n%s", against, got)
		}
	}
	if _, err := Run(context.Background(), filepath.Join(dir, "kaji.yaml"), "", Options{AgainstVersions: map[string]string{"nope": "1"}}); err == nil ||
		!strings.Contains(err.Error(), `release "nope"`) {
		t.Errorf("an unknown release: %v", err)
	}
}
