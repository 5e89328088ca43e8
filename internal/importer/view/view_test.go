package view

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"kaji.dev/kaji/internal/importer"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func report() *importer.Report {
	return &importer.Report{
		File: "kaji.yaml", Created: true, Source: importer.KindCluster,
		Releases: []importer.ReleaseReport{
			{Name: "ksm", Namespace: "monitoring", Chart: "prometheus-community/kube-state-metrics", Version: "8.4.0", Outcome: importer.OutcomeAdded,
				Origin: "revision 2 on the cluster", Source: "repository prometheus-community (content matches)", Values: "values/ksm.yaml"},
			{Name: "grafana", Namespace: "monitoring", Chart: "./charts/grafana-10.5.15", Version: "10.5.15", Outcome: importer.OutcomeAdded,
				Origin: "revision 1 on the cluster", Source: "the chart stored in the release, written out to ./charts/grafana-10.5.15 (no repository has grafana 10.5.15); to take it from a repository instead, add it", Values: "values/grafana.yaml",
				SecretFile: "values/grafana.secret.yaml", Secrets: []string{"adminPassword"},
				Notes: []importer.Note{{Message: "values that look secret were written to values/grafana.secret.yaml, which git ignores, not to kaji.yaml: adminPassword"}}},
			{Name: "web", Namespace: "apps", Chart: "./charts/web", Version: "1.2.0", Outcome: importer.OutcomeDifferent, Origin: "revision 7 on the cluster",
				Differences: []string{"values.replicaCount: 2 → 3"}},
		},
		Skipped:  []importer.Skipped{{Name: "db", Namespace: "apps", Reason: "revision 4 is failed: import what it should be once a revision is deployed"}},
		Notes:    []importer.Note{{Where: "cdk.out/App.template.json: Chart1", Message: "replace the placeholder", Blocking: true}},
		Written:  []string{"kaji.yaml", "values/ksm.yaml"},
		Blocking: 1,
	}
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, report()); err != nil {
		t.Fatal(err)
	}
	golden(t, "text.golden", b.Bytes())
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, report()); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["apiVersion"] != APIVersion || doc["file"] != "kaji.yaml" || doc["blocking"] != float64(1) {
		t.Errorf("json: %v", doc)
	}
	golden(t, "json.golden", b.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/importer/view -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./internal/importer/view -update if intended)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
