package projectdoc

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	sigsyaml "sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/render/corpus"
)

func TestImages(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{{
		name: "every kind that runs containers, init and ephemeral containers included",
		files: map[string]string{"c/templates/all.yaml": `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: pod:1}]
  ephemeralContainers: [{name: debug, image: debug:1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      initContainers: [{name: i, image: init:1}]
      containers: [{name: a, image: deploy:1}, {name: b, image: " sidecar:1 "}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec: {template: {spec: {containers: [{name: a, image: sts:1}]}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds}
spec: {template: {spec: {containers: [{name: a, image: ds:1}]}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j, annotations: {helm.sh/hook: pre-install}}
spec: {template: {spec: {containers: [{name: a, image: job:1}]}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: a, image: cron:1}]}}}}}
`},
		want: []string{"cron:1", "debug:1", "deploy:1", "ds:1", "init:1", "job:1", "pod:1", "sidecar:1", "sts:1"},
	}, {
		name: "each image once, across templates; Lists opened; other kinds and NOTES.txt ignored",
		files: map[string]string{
			"c/templates/a.yaml":     "kind: Deployment\nspec: {template: {spec: {containers: [{image: same:1}]}}}\n",
			"c/templates/b.yaml":     "kind: List\nitems:\n- kind: Pod\n  spec: {containers: [{image: same:1}, {image: other:2}]}\n",
			"c/templates/c.yaml":     "kind: ConfigMap\ndata: {image: not-an-image:1}\n---\nkind: Service\nspec: {containers: [{image: nor-this:1}]}\n",
			"c/templates/NOTES.txt":  "image: notes:1\n",
			"c/templates/empty.yaml": "\n",
		},
		want: []string{"other:2", "same:1"},
	}, {
		name:  "none",
		files: map[string]string{"c/templates/cm.yaml": "kind: ConfigMap\n"},
		want:  []string{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Images(tc.files)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Images = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestImagesOfABrokenDocumentNameItsTemplate(t *testing.T) {
	_, err := Images(map[string]string{"c/templates/bad.yaml": "kind: Pod\n---\nkind: [unclosed\n"})
	if err == nil || !strings.Contains(err.Error(), "c/templates/bad.yaml: document 2") {
		t.Fatalf("err = %v, want one naming c/templates/bad.yaml, document 2", err)
	}
}

// The images of ingress-nginx, rendered by Helm with its defaults, are the controller and
// the certgen of its admission webhook's hook Jobs, as its values.yaml gives them.
func TestImagesOfIngressNginx(t *testing.T) {
	dir, err := corpus.Dir()
	if err != nil {
		t.Skipf("the shared chart corpus is not here: %v", err)
	}
	kv, err := corpus.KubeVersion()
	if err != nil {
		t.Fatal(err)
	}
	chartDir := filepath.Join(dir, "ingress-nginx")
	ch, err := loader.LoadDir(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(render.Options{Deterministic: true, KubeVersion: kv, ReleaseName: "edge", Namespace: "ingress"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := r.Render(context.Background(), ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Images(files)
	if err != nil {
		t.Fatal(err)
	}
	// What the chart's values.yaml says the two images are, read here on their own.
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Global struct {
			Image struct {
				Registry string `json:"registry"`
			} `json:"image"`
		} `json:"global"`
		Controller struct {
			Image     imageValues `json:"image"`
			Admission struct {
				Patch struct {
					Image imageValues `json:"image"`
				} `json:"patch"`
			} `json:"admissionWebhooks"`
		} `json:"controller"`
	}
	if err := sigsyaml.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	// Images without a registry of their own take the global one.
	reg := v.Global.Image.Registry
	want := []string{v.Controller.Image.in(reg), v.Controller.Admission.Patch.Image.in(reg)}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("images of ingress-nginx = %q, want %q", got, want)
	}
}

// imageValues is how ingress-nginx's values.yaml writes an image.
type imageValues struct {
	Registry string `json:"registry"`
	Image    string `json:"image"`
	Tag      string `json:"tag"`
	Digest   string `json:"digest"`
}

// in is the image reference, from registry unless it names its own.
func (i imageValues) in(registry string) string {
	if i.Registry != "" {
		registry = i.Registry
	}
	s := registry + "/" + i.Image + ":" + i.Tag
	if i.Digest != "" {
		s += "@" + i.Digest
	}
	return s
}
