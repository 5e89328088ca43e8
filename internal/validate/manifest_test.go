package validate

import (
	"strings"
	"testing"
)

func TestCheckManifests(t *testing.T) {
	cm := func(name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n"
	}
	cases := []struct {
		name  string
		files map[string]string
		want  []string // "file: message prefix", in order
	}{
		{"fine", map[string]string{
			"c/templates/a.yaml":     cm("a") + "---\n" + cm("b") + "---\n# only a comment\n---\n",
			"c/templates/NOTES.txt":  "Thanks for installing.\nkind: none",
			"c/templates/empty.yaml": "\n\n",
		}, nil},
		{"duplicate across files", map[string]string{
			"c/templates/a.yaml": cm("same"),
			"c/templates/b.yaml": cm("same"),
		}, []string{"c/templates/b.yaml: document 1: ConfigMap same is rendered twice; c/templates/a.yaml document 1 renders it too"}},
		{"duplicate in one file, other apiVersion of the same group", map[string]string{
			"c/templates/a.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n---\napiVersion: apps/v1beta1\nkind: Deployment\nmetadata: {name: web}\n",
		}, []string{"c/templates/a.yaml: document 2: Deployment web is rendered twice"}},
		{"same name, other namespace or kind", map[string]string{
			"c/templates/a.yaml": cm("x") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: other}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: x}\n",
		}, nil},
		{"hooks and generateName may repeat", map[string]string{
			"c/templates/a.yaml": strings.Repeat("apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations: {helm.sh/hook: test}\n---\n", 2) +
				strings.Repeat("apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: j-}\n---\n", 2),
		}, nil},
		{"missing fields", map[string]string{
			"c/templates/a.yaml": "kind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {}\n",
		}, []string{
			"c/templates/a.yaml: document 1: the object has no apiVersion;",
			"c/templates/a.yaml: document 2: the object has no kind and metadata.name (or metadata.generateName);",
		}},
		{"not an object, not YAML", map[string]string{
			"c/templates/a.yaml": "- a\n- b\n---\na: [\n",
		}, []string{
			"c/templates/a.yaml: document 1: the rendered document is not an object but a list",
			"c/templates/a.yaml: document 2: the rendered YAML does not parse",
		}},
		{"list items", map[string]string{
			"c/templates/a.yaml": "apiVersion: v1\nkind: List\nitems:\n  - " + strings.ReplaceAll(cm("i"), "\n", "\n    ") + "\n  - kind: ConfigMap\n",
			"c/templates/b.yaml": cm("i"),
		}, []string{
			"c/templates/a.yaml: document 1: item 2 of the list: the object has no apiVersion and metadata.name",
			"c/templates/b.yaml: document 1: ConfigMap i is rendered twice",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := checkManifests("rel", c.files)
			if len(got) != len(c.want) {
				t.Fatalf("%d findings, want %d: %+v", len(got), len(c.want), got)
			}
			for i, f := range got {
				line := f.Pos.File + ": " + f.Message
				if !strings.HasPrefix(line, c.want[i]) || f.Code != CodeManifest || f.Severity != Error || f.Release != "rel" {
					t.Errorf("finding %d: %s %s %q\nwant prefix %q", i, f.Severity, f.Code, line, c.want[i])
				}
			}
		})
	}
}
