package plan

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func readCases[T any](t *testing.T, path string) []T {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []T
	if err := yaml.UnmarshalStrict(raw, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatalf("%s has no cases", path)
	}
	return cases
}

func TestDriftOf(t *testing.T) {
	type driftCase struct {
		Name    string         `json:"name"`
		Applied map[string]any `json:"applied"`
		Live    map[string]any `json:"live"`
		Drift   []string       `json:"drift"`
	}
	for _, c := range readCases[driftCase](t, "testdata/compare/drift.yaml") {
		t.Run(c.Name, func(t *testing.T) {
			var got []string
			for _, f := range driftOfObject(c.Applied, c.Live) {
				got = append(got, f.Path)
			}
			if !slices.Equal(got, c.Drift) {
				t.Errorf("drift = %q, want %q", got, c.Drift)
			}
		})
	}
}

// A field change shows what the release applied, as it applied it, even where the object
// that the live one lacks holds fields the API server does not store.
func TestDriftShowsAppliedValuesAsApplied(t *testing.T) {
	container := map[string]any{"name": "log", "image": "fluent", "stdin": false, "securityContext": map[string]any{"privileged": false}}
	applied := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"hostNetwork": true, "containers": []any{map[string]any{"name": "web"}, container}}}}}
	live := map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": "web"}}}}}}
	drift := driftOfObject(applied, live)
	if len(drift) != 2 {
		t.Fatalf("drift %+v, want the removed container and hostNetwork", drift)
	}
	for _, d := range drift {
		if strings.Contains(fmt.Sprintf("%#v", d.Old), "zeroField") {
			t.Errorf("%s: old value %#v is not as applied", d.Path, d.Old)
		}
	}
	if !reflect.DeepEqual(drift[0].Old, container) {
		t.Errorf("%s: old value %#v, want %#v", drift[0].Path, drift[0].Old, container)
	}
}

func TestDiffObjects(t *testing.T) {
	type diffCase struct {
		Name   string         `json:"name"`
		Before map[string]any `json:"before"`
		After  map[string]any `json:"after"`
		Diff   []string       `json:"diff"`
	}
	for _, c := range readCases[diffCase](t, "testdata/compare/diff.yaml") {
		t.Run(c.Name, func(t *testing.T) {
			var got []string
			for _, f := range diffObjects(c.Before, c.After) {
				got = append(got, string(f.Op)+" "+f.Path)
			}
			if !slices.Equal(got, c.Diff) {
				t.Errorf("diff = %q, want %q", got, c.Diff)
			}
		})
	}
}

func TestSecretStringDataComparesWithData(t *testing.T) {
	applied := secretData(map[string]any{"stringData": map[string]any{"password": "pw"}, "data": map[string]any{"token": "dG9r"}})
	live := map[string]any{"data": map[string]any{"password": "cHc=", "token": "dG9r"}}
	if d := driftOf(applied, live); len(d) != 0 {
		t.Errorf("stringData as applied drifts from its own data: %+v", d)
	}
	if d := driftOf(applied, map[string]any{"data": map[string]any{"password": "eHg=", "token": "dG9r"}}); len(d) != 1 {
		t.Errorf("a changed password: drift %+v", d)
	}
}

func TestStripKeepsTheOriginal(t *testing.T) {
	obj := map[string]any{"metadata": map[string]any{"uid": "1", "annotations": map[string]any{"deployment.kubernetes.io/revision": "3"}}, "status": map[string]any{"x": 1}}
	got := strip(obj, DefaultIgnore())
	if len(got) != 0 {
		t.Errorf("strip left %v", got)
	}
	if _, ok := obj["status"]; !ok {
		t.Error("strip modified its argument")
	}
}

// A revision that Flux's helm-controller wrote, for a release it took over without a change,
// differs from kaji's rendering by Flux's labels alone: that is no change of the rendered
// objects. The chart's own labels still count.
func TestFluxLabelsAreNoChange(t *testing.T) {
	objects := func(labels string) []*unstructured.Unstructured {
		objs, err := parseManifest("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n" + labels + "data:\n  greeting: hello\n")
		if err != nil {
			t.Fatal(err)
		}
		return objs
	}
	kaji := objects("  labels:\n    app: web\n")
	flux := objects("  labels:\n    app: web\n    helm.toolkit.fluxcd.io/name: web\n    helm.toolkit.fluxcd.io/namespace: flux-system\n")
	if !sameObjects(flux, kaji, DefaultIgnore()) {
		t.Error("Flux's labels in the stored manifest count as a change of the rendered objects")
	}
	if sameObjects(objects("  labels:\n    app: api\n    helm.toolkit.fluxcd.io/name: web\n"), kaji, DefaultIgnore()) {
		t.Error("a change of the chart's own label is hidden beside Flux's labels")
	}
	// An object whose chart sets no labels has Flux's alone: no change either.
	if !sameObjects(objects(""), objects("  labels:\n    helm.toolkit.fluxcd.io/namespace: flux-system\n    helm.toolkit.fluxcd.io/name: web\n"), DefaultIgnore()) {
		t.Error("Flux's labels on an object whose chart sets none count as a change")
	}
}
