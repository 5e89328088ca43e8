package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"kaji.dev/kaji/internal/release"
)

// crdProject is a kaji.yaml of one release, w, of a local chart whose crds/ holds a CRD of
// kind Widget; write sets the chart's version, the CRD's versions (each with spec property
// prop) and the release's crds mode.
type crdProject struct {
	t           *testing.T
	ns, file    string
	chart, name string
}

func newCRDProject(t *testing.T) *crdProject {
	ns := env.Namespace(t)
	dir := t.TempDir()
	p := &crdProject{t: t, ns: ns, file: filepath.Join(dir, "kaji.yaml"), chart: filepath.Join(dir, "widgets"), name: "widgets." + ns + ".kaji.test"}
	t.Cleanup(func() {
		err := p.client().Delete(context.Background(), p.name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Error(err)
		}
	})
	return p
}

func (p *crdProject) write(chartVersion, mode, prop string, versions ...string) {
	t := p.t
	t.Helper()
	group := p.ns + ".kaji.test"
	crd := fmt.Sprintf("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: %s\nspec:\n  group: %s\n  scope: Namespaced\n  names: {plural: widgets, singular: widget, kind: Widget}\n  versions:\n", p.name, group)
	for i, v := range versions {
		crd += fmt.Sprintf("    - name: %s\n      served: true\n      storage: %t\n      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n                %s: {type: string}\n", v, i == 0, prop)
	}
	files := map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: widgets\nversion: " + chartVersion + "\n",
		"crds/widgets.yaml": crd,
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w\ndata: {v: \"" + chartVersion + "\"}\n",
	}
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(p.chart, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p.chart, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := "apiVersion: kaji.dev/v1alpha1\nproject: " + p.ns + "\nreleases:\n  - {name: w, namespace: " + p.ns + ", chart: " + p.chart
	if mode != "" {
		spec += ", crds: " + mode
	}
	if err := os.WriteFile(p.file, []byte(spec+"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (p *crdProject) kaji(args ...string) run {
	p.t.Helper()
	return kaji(p.t, "", false, append(args, "-f", p.file, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName, "--lock-namespace", p.ns)...)
}

func (p *crdProject) client() dynamic.ResourceInterface {
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		p.t.Fatal(err)
	}
	return dyn.Resource(release.CRDResource)
}

// live returns the spec properties of the first version of the live CRD, "gone" when it
// does not exist or is being deleted.
func (p *crdProject) live() string {
	p.t.Helper()
	u, err := p.client().Get(p.t.Context(), p.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || err == nil && u.GetDeletionTimestamp() != nil {
		return "gone"
	}
	if err != nil {
		p.t.Fatal(err)
	}
	vs, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
	props, _, _ := unstructured.NestedMap(vs[0].(map[string]any), "schema", "openAPIV3Schema", "properties", "spec", "properties")
	var names []string
	for k := range props {
		names = append(names, k)
	}
	return strings.Join(names, ",")
}

// kaji apply upgrades the CRDs of crds/ with the chart; destroy keeps them and says so, and
// --delete-crds deletes them.
func TestApplyUpgradesCRDsDestroyKeepsThem(t *testing.T) {
	p := newCRDProject(t)
	p.write("0.1.0", "", "size", "v1")
	if r := p.kaji("apply", "--yes"); r.code != 0 || p.live() != "size" {
		t.Fatalf("apply: %d, CRD %s\n%s%s", r.code, p.live(), r.out, r.err)
	}
	p.write("0.2.0", "", "color", "v1")
	if r := p.kaji("plan"); r.code != 0 || !strings.Contains(r.out, "CRDs changed") || !strings.Contains(r.out, "version v1: ") {
		t.Fatalf("plan of a new schema: %d\n%s%s", r.code, r.out, r.err)
	}
	if r := p.kaji("apply", "--yes"); r.code != 0 || p.live() != "color" {
		t.Fatalf("apply of a new schema: %d, CRD %s\n%s%s", r.code, p.live(), r.out, r.err)
	}
	r := p.kaji("destroy", "--yes")
	if r.code != 0 || p.live() != "color" || !strings.Contains(r.err, "kept CRDs "+p.name) {
		t.Fatalf("destroy: %d, CRD %s\n%s%s", r.code, p.live(), r.out, r.err)
	}
	if r := p.kaji("apply", "--yes"); r.code != 0 {
		t.Fatalf("apply again: %d\n%s%s", r.code, r.out, r.err)
	}
	r = p.kaji("destroy", "--yes", "--delete-crds")
	if r.code != 0 || p.live() != "gone" || !strings.Contains(r.err, "deleted CRDs "+p.name) {
		t.Fatalf("destroy --delete-crds: %d, CRD %s\n%s%s", r.code, p.live(), r.out, r.err)
	}
}

// crds: create keeps the CRD that the first install made, and the plan warns; skip never
// installs it.
func TestCRDsCreateAndSkip(t *testing.T) {
	p := newCRDProject(t)
	p.write("0.1.0", "create", "size", "v1")
	if r := p.kaji("apply", "--yes"); r.code != 0 || p.live() != "size" {
		t.Fatalf("apply: %d, CRD %s\n%s%s", r.code, p.live(), r.out, r.err)
	}
	p.write("0.2.0", "create", "color", "v1")
	r := p.kaji("plan")
	if r.code != 0 || !strings.Contains(r.out, "CRD "+p.name+" differs from the chart's crds/") || !strings.Contains(r.out, "crds: create never upgrades it") {
		t.Fatalf("plan with crds: create: %d\n%s%s", r.code, r.out, r.err)
	}
	if r := p.kaji("apply", "--yes"); r.code != 0 || p.live() != "size" {
		t.Fatalf("apply with crds: create: %d, CRD %s\n%s%s", r.code, p.live(), r.out, r.err)
	}

	q := newCRDProject(t)
	q.write("0.1.0", "skip", "size", "v1")
	if r := q.kaji("apply", "--yes"); r.code != 0 || q.live() != "gone" {
		t.Fatalf("apply with crds: skip: %d, CRD %s\n%s%s", r.code, q.live(), r.out, r.err)
	}
	if r := q.kaji("plan"); r.code != 0 || !strings.Contains(r.out, "crds: skip never installs them") {
		t.Fatalf("plan with crds: skip: %d\n%s%s", r.code, r.out, r.err)
	}
}

// Removing a version that objects are stored in is refused by plan and apply, naming the CRD
// and the version, unless --force-crds.
func TestApplyRefusesToDropAStoredCRDVersion(t *testing.T) {
	p := newCRDProject(t)
	p.write("0.1.0", "", "size", "v1")
	if r := p.kaji("apply", "--yes"); r.code != 0 {
		t.Fatalf("apply: %d\n%s%s", r.code, r.out, r.err)
	}
	p.write("0.2.0", "", "size", "v2")
	for _, cmd := range []string{"plan", "apply"} {
		r := p.kaji(cmd, "--yes")
		if cmd == "plan" {
			r = p.kaji(cmd)
		}
		all := r.out + r.err
		if r.code == 0 || !strings.Contains(all, "CRD "+p.name+": the chart removes version v1") || !strings.Contains(all, "--force-crds") {
			t.Errorf("%s of a chart without the stored version v1: %d\n%s", cmd, r.code, all)
		}
	}
	if got := p.live(); got != "size" {
		t.Errorf("the refused CRD changed: %s", got)
	}
	if r := p.kaji("plan", "--force-crds"); strings.Contains(r.out+r.err, "the chart removes version") {
		t.Errorf("plan --force-crds still refuses:\n%s%s", r.out, r.err)
	}
}
