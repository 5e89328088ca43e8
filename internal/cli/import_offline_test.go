package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An import from a synthesized CDK app writes kaji.yaml with cluster.eks, lists each
// placeholder as must fix, exits 1 until they are resolved (0 with --keep-placeholders), and
// prints the hand-over that keeps CloudFormation from uninstalling the releases.
func TestImportFromCDK(t *testing.T) {
	cdkOut, err := filepath.Abs("../importer/cdk/testdata/cdk.out")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	r := kaji(t, "", false, "import", "--from-cdk", cdkOut, "--stack", "Platform", "-f", file)
	if r.code != 1 || !strings.Contains(r.err, "must be fixed by hand") {
		t.Fatalf("import with placeholders: exit %d, want 1\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{
		"[must fix]", "Fn::GetAtt GrafanaRole", "ChartAssetURL",
		"RemovalPolicy.RETAIN", "cdk deploy --all", "kaji apply",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("import output lacks %q:\n%s", want, r.out)
		}
	}
	kajiYAML, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"eks:", "region: eu-west-1", "roleArn: arn:aws:iam::111111111111:role/", "chart: ingress-nginx/ingress-nginx", "rollbackOnFailure: true", "crds: skip"} {
		if !strings.Contains(string(kajiYAML), want) {
			t.Errorf("kaji.yaml lacks %q:\n%s", want, kajiYAML)
		}
	}
	if strings.Contains(string(kajiYAML), "adminPassword") {
		t.Errorf("kaji.yaml holds a secret-looking value:\n%s", kajiYAML)
	}

	// Again, keeping the placeholders: nothing changes, and the exit code is 0.
	r = kaji(t, "", false, "import", "--from-cdk", cdkOut, "--stack", "Platform", "-f", file, "--keep-placeholders", "-o", "json")
	if r.code != 0 {
		t.Fatalf("import --keep-placeholders: exit %d\n%s%s", r.code, r.out, r.err)
	}
	var rep struct {
		APIVersion string `json:"apiVersion"`
		Blocking   int    `json:"blocking"`
		HandOver   []struct {
			Title string `json:"title"`
		} `json:"handOver"`
		Releases []struct {
			Outcome string `json:"outcome"`
		} `json:"releases"`
	}
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r.out)
	}
	if rep.APIVersion != "kaji.dev/import/v1alpha1" || rep.Blocking == 0 || len(rep.HandOver) == 0 || len(rep.Releases) == 0 {
		t.Errorf("-o json: %+v", rep)
	}
	for _, rel := range rep.Releases {
		if rel.Outcome != "unchanged" {
			t.Errorf("second import: outcome %s, want unchanged", rel.Outcome)
		}
	}
}

// An import from a helmfile in the same directory keeps the helmfile's own values files,
// writes inline values beside them without replacing any, and notes what kaji cannot express.
func TestImportFromHelmfile(t *testing.T) {
	dir := t.TempDir()
	helmfile := `repositories:
  - name: ingress-nginx
    url: https://kubernetes.github.io/ingress-nginx
helmDefaults:
  wait: true
releases:
  - name: ingress
    namespace: ingress-nginx
    chart: ingress-nginx/ingress-nginx
    version: 4.15.1
    values:
      - values/ingress.yaml
      - controller:
          replicaCount: 2
    hooks:
      - events: ["presync"]
        command: echo
`
	if err := os.MkdirAll(filepath.Join(dir, "values"), 0o755); err != nil {
		t.Fatal(err)
	}
	own := "controller:\n  service:\n    type: NodePort\n"
	for name, body := range map[string]string{"helmfile.yaml": helmfile, "values/ingress.yaml": own} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "kaji.yaml")
	r := kaji(t, "", false, "import", "--from-helmfile", filepath.Join(dir, "helmfile.yaml"), "-f", file)
	if r.code != 0 {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.out, "helmfile.yaml:16") || !strings.Contains(r.out, "hooks") {
		t.Errorf("the hook is not listed with its line:\n%s", r.out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "values/ingress.yaml")); string(b) != own {
		t.Errorf("the helmfile's own values file was changed:\n%s", b)
	}
	kajiYAML, _ := os.ReadFile(file)
	if !strings.Contains(string(kajiYAML), "valuesFiles: [values/ingress.yaml, values/ingress.kaji.yaml]") || !strings.Contains(string(kajiYAML), "wait: true") {
		t.Errorf("kaji.yaml:\n%s", kajiYAML)
	}
}

func TestImportUsage(t *testing.T) {
	for _, args := range [][]string{
		{"import", "--from-cdk", "x", "--from-helmfile", "y"},
		{"import", "--from-cdk", "x", "-n", "apps"},
		{"import", "--stack", "Platform"},
		{"import", "--repo", "no-equals-sign"},
		{"import", "-o", "yaml"},
	} {
		r := kaji(t, "", false, args...)
		if r.code != 1 || !strings.Contains(r.err, "kaji --help") {
			t.Errorf("%v: exit %d, want a usage error\n%s", args, r.code, r.err)
		}
	}
	r := kaji(t, "", false, "import", "--from-cdk", filepath.Join(t.TempDir(), "missing"), "-f", filepath.Join(t.TempDir(), "kaji.yaml"))
	if r.code != 1 || !strings.Contains(r.err, "missing") {
		t.Errorf("a missing cdk.out: exit %d\n%s", r.code, r.err)
	}
}
