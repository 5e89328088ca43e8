package helmfile

import (
	"strings"
	"testing"
)

// TestNeeds maps needs entries in their three forms, with kube contexts that hold slashes as
// EKS context ARNs do.
func TestNeeds(t *testing.T) {
	const eks = "arn:aws:eks:eu-west-1:123456789012:cluster/platform"
	text := `repositories:
  - name: x
    url: https://charts.example.com
helmDefaults:
  kubeContext: ` + eks + `
releases:
  - name: crds
    namespace: infra
    kubeContext: ` + eks + `
    chart: x/crds
  - name: db
    namespace: data
    chart: x/db
  - name: db
    namespace: cache
    chart: x/db
  - name: app
    namespace: data
    kubeContext: ` + eks + `
    chart: x/app
    needs:
      - ` + eks + `/infra/crds
      - infra/crds
      - crds
      - db
      - other/db
      - ghost
`
	f := writeHelmfile(t, "helmfile.yaml", text)
	found, err := Read(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	app := found.Releases[3]
	if got := strings.Join(app.Needs, ","); got != "crds" {
		t.Errorf("needs %q, want crds", got)
	}
	checkNotes(t, "app", app.Notes, []wantNote{
		// crds is read as eks/data/crds, which no release is; one release is named crds.
		{f + ":24", false, "it is taken to mean the only release named crds (namespace infra, line 7)"},
		// db is read as eks/data/db: no release has that ID (db in data has no context), and
		// two releases are named db.
		{f + ":25", false, "several releases are named db (namespace data on line 11, namespace cache on line 14)"},
		{f + ":26", false, "needs other/db: helmfile reads it as namespace other"},
		{f + ":27", false, "needs ghost: no release of this helmfile has that name"},
	})
	checkNotes(t, "second db", found.Releases[2].Notes, []wantNote{
		{f + ":14", true, "release name db is also used by the release of line 11"},
	})
	if found.Cluster == nil || found.Cluster.KubeContext != eks {
		t.Errorf("cluster %+v", found.Cluster)
	}
}

func TestSetsAndDefaults(t *testing.T) {
	text := `helmDefaults:
  atomic: true
  createNamespace: false
  timeout: 300
  historyMax: 10
  wait: false
releases:
  - name: a
    namespace: a
    chart: ./chart
    values:
      - image:
          tag: "1.0"
        list: [1, 2, 3]
    set:
      - name: image.tag
        value: "2.0"
      - name: list[1]
        value: 9
      - name: ingress.hosts[0].host
        value: a.example.com
      - name: note
        value: "{x},y"
      - name: "nodeSelector.kubernetes\\.io/os"
        value: linux
    setString:
      - name: flag
        value: true
  - name: b
    namespace: b
    chart: ./chart
    atomic: false
    createNamespace: true
`
	f := writeHelmfile(t, "helmfile.yaml", text)
	found, err := Read(f, Options{KajiDir: "/"})
	if err != nil {
		t.Fatal(err)
	}
	a, b := found.Releases[0], found.Releases[1]
	// set wins over inline values with Helm's --set types (only whole numbers and booleans are
	// converted), and a list set by index replaces the inline list as --set does.
	want := `{
  "flag": "true",
  "image": {
    "tag": "2.0"
  },
  "ingress": {
    "hosts": [
      {
        "host": "a.example.com"
      }
    ]
  },
  "list": [
    null,
    9
  ],
  "nodeSelector": {
    "kubernetes.io/os": "linux"
  },
  "note": "{x},y"
}`
	if got := asJSON(t, a.Values); got != want {
		t.Errorf("values\n%s\nwant\n%s", got, want)
	}
	// timeout 300, historyMax 10 and wait false are kaji's defaults: not written.
	if a.RollbackOnFailure == nil || !*a.RollbackOnFailure || a.CreateNamespace == nil || *a.CreateNamespace ||
		a.Timeout != "" || a.MaxHistory != nil || a.Wait != nil {
		t.Errorf("release a: %s", asJSON(t, a.Release))
	}
	if b.RollbackOnFailure == nil || *b.RollbackOnFailure || b.CreateNamespace == nil || !*b.CreateNamespace {
		t.Errorf("release b keeps its own atomic and createNamespace: %s", asJSON(t, b.Release))
	}
	// The local chart is rewritten relative to kaji.yaml's directory, here the root.
	if want := "./" + strings.TrimPrefix(strings.TrimSuffix(f, "helmfile.yaml")+"chart", "/"); a.Chart != want {
		t.Errorf("chart %q, want %q", a.Chart, want)
	}
	checkNotes(t, "a", a.Notes, []wantNote{{f + ":10", true, "local chart ./chart does not exist"}})
}

func TestScanTemplates(t *testing.T) {
	for _, tc := range []struct {
		name, text, yaml string
		lines            []int
		skipped          []bool
	}{
		{name: "no templates", text: "a: 1\n", yaml: "a: 1\n"},
		{name: "comments are not templates", text: "# {{ x }}\na: 1 # {{ y }}\n", yaml: "# {{ x }}\na: 1 # {{ y }}\n"},
		{name: "inline action", text: "a: {{ .X }}-b\n", yaml: "a: __kajitemplate0__-b\n", lines: []int{1}, skipped: []bool{false}},
		{name: "control lines", text: "{{ if .X }}\na: 1\n{{ end }}\n", yaml: "\na: 1\n\n", lines: []int{1, 3}, skipped: []bool{true, true}},
		{name: "action over lines", text: "a: 1\n{{ toYaml (dict\n  \"b\" 2) }}\nc: 3\n", yaml: "a: 1\n\n\nc: 3\n",
			lines: []int{2, 3}, skipped: []bool{true, true}},
		{name: "windows line ends", text: "a: {{ .X }}\r\nb: 2\r\n", yaml: "a: __kajitemplate0__\r\nb: 2\r\n", lines: []int{1}, skipped: []bool{false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scanTemplates([]byte(tc.text))
			if string(got.yaml) != tc.yaml {
				t.Errorf("yaml %q, want %q", got.yaml, tc.yaml)
			}
			if len(got.lines) != len(tc.lines) {
				t.Fatalf("template lines %+v, want %v", got.lines, tc.lines)
			}
			for i, l := range got.lines {
				if l.line != tc.lines[i] || l.skipped != tc.skipped[i] {
					t.Errorf("template line %d: %+v, want line %d skipped=%v", i, l, tc.lines[i], tc.skipped[i])
				}
			}
			// Inline actions come back where they were.
			if len(got.actions) > 0 {
				if r := got.restore(string(got.yaml)); r != tc.text {
					t.Errorf("restore gives %q, want %q", r, tc.text)
				}
			}
		})
	}
}
