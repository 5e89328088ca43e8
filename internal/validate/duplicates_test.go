package validate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeFiles writes files (path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDuplicateKeys checks that a key written twice in one mapping of a values file is a
// warning at the one Helm drops, naming the line of the one it keeps, at the top and below.
func TestDuplicateKeys(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"chart/values.yaml": "ingressShim:\n  defaultIssuerName: \"\"\n  defaultIssuerKind: \"\"\nimage:\n  tag: \"1\"\n",
		"chart/templates/cm.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data:
  name: {{ .Values.ingressShim.defaultIssuerName | quote }}
  kind: {{ .Values.ingressShim.defaultIssuerKind | quote }}
  tag: {{ .Values.image.tag | quote }}
`,
		"values.yaml": `ingressShim:
  defaultIssuerName: letsencrypt
image:
  tag: "2"
  tag: "3"
ingressShim:
  defaultIssuerKind: ClusterIssuer
`,
		"kaji.yaml": "apiVersion: kaji.dev/v1alpha1\nproject: test\nreleases:\n  - name: app\n    namespace: default\n    chart: ./chart\n    valuesFiles: [values.yaml]\n",
	})
	rep, err := Run(context.Background(), filepath.Join(dir, "kaji.yaml"), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		if f.Code == CodeDuplicateKey {
			if f.Severity != Warning {
				t.Errorf("%s: severity %s, want warning", f.PathString(), f.Severity)
			}
			got = append(got, filepath.Base(f.Pos.File)+":"+strings.TrimPrefix(f.Pos.String(), f.Pos.File+":")+" "+f.PathString()+": "+f.Message)
		}
	}
	want := []string{
		"values.yaml:1:1 ingressShim: this key is written again at line 6, and Helm keeps only that one: what is set here is dropped; merge the two into one",
		"values.yaml:4:3 image.tag: this key is written again at line 5, and Helm keeps only that one: what is set here is dropped; merge the two into one",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
