package release_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// widgetCRD is a CRD of kind Widget in group, one version per entry of versions ("v1" served
// and stored, "v2:unserved"...), the stored one the first, each with the properties props.
func widgetCRD(group string, props []string, versions ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.%s
spec:
  group: %s
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
`, group, group)
	for i, v := range versions {
		name, served := v, true
		if n, ok := strings.CutSuffix(v, ":unserved"); ok {
			name, served = n, false
		}
		fmt.Fprintf(&b, "    - name: %s\n      served: %t\n      storage: %t\n", name, served, i == 0)
		b.WriteString("      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n            spec:\n              type: object\n              properties:\n")
		for _, p := range props {
			fmt.Fprintf(&b, "                %s: {type: string}\n", p)
		}
	}
	return b.String()
}

// crdChart is a chart whose crds/ holds crd, and whose templates a ConfigMap and, with
// widget, a Widget of group: a custom resource of the kind that crds/ brings.
func crdChart(version, crd, widget string) *chartv2.Chart {
	ch := &chartv2.Chart{
		Metadata: &chartv2.Metadata{APIVersion: "v2", Name: "widgets", Version: version},
		Templates: []*common.File{{Name: "templates/cm.yaml", Data: []byte(
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  v: " + version + "\n")}},
		Files: []*common.File{{Name: "crds/widgets.yaml", Data: []byte(crd)}},
	}
	if widget != "" {
		ch.Templates = append(ch.Templates, &common.File{Name: "templates/widget.yaml", Data: []byte(
			"apiVersion: " + widget + "/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: small\n")})
	}
	return ch
}

func crdClient(t *testing.T) dynamic.NamespaceableResourceInterface {
	t.Helper()
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	return dyn.Resource(release.CRDResource)
}

// liveProps returns the properties of the spec of version v of the live CRD name, or nil
// when the CRD does not exist.
func liveProps(t *testing.T, name, v string) []string {
	t.Helper()
	u, err := crdClient(t).Get(t.Context(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	vs, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
	for _, x := range vs {
		m := x.(map[string]any)
		if m["name"] != v {
			continue
		}
		props, _, _ := unstructured.NestedMap(m, "schema", "openAPIV3Schema", "properties", "spec", "properties")
		var out []string
		for p := range props {
			out = append(out, p)
		}
		return sortStrings(out)
	}
	return []string{}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

func deleteCRD(t *testing.T, name string) {
	t.Cleanup(func() {
		err := crdClient(t).Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Error(err)
		}
	})
}

// Mode apply (the default) upgrades the CRDs of crds/ with the release; Helm alone (mode
// create) keeps the first ones it installed; skip never installs them.
func TestCRDModes(t *testing.T) {
	for _, tt := range []struct {
		mode spec.CRDMode
		// afterInstall and afterUpgrade are the properties of the live CRD's v1 schema; nil
		// when it does not exist.
		afterInstall, afterUpgrade []string
	}{
		{mode: "", afterInstall: []string{"size"}, afterUpgrade: []string{"color", "size"}},
		{mode: spec.CRDsApply, afterInstall: []string{"size"}, afterUpgrade: []string{"color", "size"}},
		{mode: spec.CRDsCreate, afterInstall: []string{"size"}, afterUpgrade: []string{"size"}},
		{mode: spec.CRDsSkip},
	} {
		t.Run(string(tt.mode), func(t *testing.T) {
			ns := env.Namespace(t)
			group := ns + ".kaji.test"
			name := "widgets." + group
			deleteCRD(t, name)
			m := manager(t)
			widget := group
			if tt.mode == spec.CRDsSkip {
				widget = "" // its kind would not exist
			}
			res, err := m.Apply(t.Context(), release.Desired{Name: "w", Namespace: ns, CRDs: tt.mode,
				Chart: crdChart("0.1.0", widgetCRD(group, []string{"size"}, "v1"), widget)})
			if err != nil {
				t.Fatal(err)
			}
			if got := liveProps(t, name, "v1"); fmt.Sprint(got) != fmt.Sprint(tt.afterInstall) {
				t.Errorf("after install, the CRD's v1 has %v, want %v", got, tt.afterInstall)
			}
			if applied := tt.mode == "" || tt.mode == spec.CRDsApply; applied != (len(res.CRDs) == 1) {
				t.Errorf("install applied CRDs %v", res.CRDs)
			}
			if _, err := m.Apply(t.Context(), release.Desired{Name: "w", Namespace: ns, CRDs: tt.mode,
				Chart: crdChart("0.2.0", widgetCRD(group, []string{"size", "color"}, "v1"), widget)}); err != nil {
				t.Fatal(err)
			}
			if got := liveProps(t, name, "v1"); fmt.Sprint(got) != fmt.Sprint(tt.afterUpgrade) {
				t.Errorf("after the upgrade, the CRD's v1 has %v, want %v", got, tt.afterUpgrade)
			}
		})
	}
}

// The CRDs of aws-load-balancer-controller are too large for a client-side apply (its
// last-applied-configuration annotation): server-side apply takes them.
func TestCRDsApplyLargeRealCRDs(t *testing.T) {
	env.Require(t)
	dir := "/work/shared/charts/aws-load-balancer-controller"
	real, err := loader.Load(dir)
	if err != nil {
		t.Skipf("the shared chart corpus is not here: %v", err)
	}
	ch := crdChart("0.1.0", "", "")
	ch.Files = nil
	for _, f := range real.Files {
		if strings.HasPrefix(f.Name, "crds/") {
			ch.Files = append(ch.Files, f)
		}
	}
	crds, err := release.ChartCRDs(ch)
	if err != nil || len(crds) == 0 {
		t.Fatalf("crds of %s: %d, %v", dir, len(crds), err)
	}
	for _, c := range crds {
		deleteCRD(t, c.GetName())
	}
	ns := env.Namespace(t)
	res, err := manager(t).Apply(t.Context(), release.Desired{Name: "lbc", Namespace: ns, Chart: ch})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.CRDs) != len(crds) {
		t.Errorf("applied %v, want the %d CRDs of crds/", res.CRDs, len(crds))
	}
	for _, c := range crds {
		u, err := crdClient(t).Get(t.Context(), c.GetName(), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := u.GetAnnotations()["kubectl.kubernetes.io/last-applied-configuration"]; ok {
			t.Errorf("CRD %s has a last-applied-configuration annotation: applied client-side", c.GetName())
		}
		if u.GetAnnotations()[release.ReleaseNameAnno] != "lbc" {
			t.Errorf("CRD %s is not marked as release lbc's: %v", c.GetName(), u.GetAnnotations())
		}
	}
}

// gone reports whether the CRD name is deleted or being deleted.
func gone(t *testing.T, name string) bool {
	t.Helper()
	u, err := crdClient(t).Get(t.Context(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return u.GetDeletionTimestamp() != nil
}

// Uninstall keeps the CRDs of crds/ (as Helm does) and those of templates/ (which Helm would
// delete), and says so; WithDeleteCRDs deletes both.
func TestUninstallKeepsCRDs(t *testing.T) {
	ns := env.Namespace(t)
	fromCRDs, fromTemplates := ns+".crds.kaji.test", ns+".tpl.kaji.test"
	deleteCRD(t, "widgets."+fromCRDs)
	deleteCRD(t, "widgets."+fromTemplates)
	ch := crdChart("0.1.0", widgetCRD(fromCRDs, []string{"size"}, "v1"), "")
	ch.Templates = append(ch.Templates, &common.File{Name: "templates/crd.yaml", Data: []byte(widgetCRD(fromTemplates, []string{"size"}, "v1"))})
	m := manager(t)
	for _, del := range []bool{false, true} {
		if _, err := m.Apply(t.Context(), release.Desired{Name: "w", Namespace: ns, Chart: ch}); err != nil {
			t.Fatal(err)
		}
		res, err := m.WithDeleteCRDs(del).Uninstall(t.Context(), "w", ns, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"widgets." + fromCRDs, "widgets." + fromTemplates}
		if del {
			if !gone(t, want[0]) || !gone(t, want[1]) || len(res.KeptCRDs) != 0 {
				t.Errorf("with delete CRDs: kept %v, deleted %v; want both deleted", res.KeptCRDs, res.DeletedCRDs)
			}
			continue
		}
		if fmt.Sprint(sortStrings(res.KeptCRDs)) != fmt.Sprint(want) {
			t.Errorf("kept CRDs %v, want %v", res.KeptCRDs, want)
		}
		for _, n := range want {
			if gone(t, n) {
				t.Errorf("CRD %s was deleted", n)
			}
		}
	}
}

// A chart that removes, or stops serving, a version that objects are stored in is refused
// unless ForceCRDs, and the CRD is left as it was.
func TestCRDsStoredVersionsRefused(t *testing.T) {
	ns := env.Namespace(t)
	group := ns + ".kaji.test"
	name := "widgets." + group
	deleteCRD(t, name)
	m := manager(t)
	if _, err := m.Apply(t.Context(), release.Desired{Name: "w", Namespace: ns,
		Chart: crdChart("0.1.0", widgetCRD(group, []string{"size"}, "v1"), "")}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		versions []string
		want     string
	}{
		{versions: []string{"v2"}, want: "removes version v1"},
		{versions: []string{"v2", "v1:unserved"}, want: "stops serving version v1"},
	} {
		_, err := m.Apply(t.Context(), release.Desired{Name: "w", Namespace: ns,
			Chart: crdChart("0.2.0", widgetCRD(group, []string{"size", "color"}, tt.versions...), "")})
		unsafe, ok := errors.AsType[*release.UnsafeCRDError](err)
		if !ok || unsafe.CRD != name || unsafe.Version != "v1" || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "--force-crds") {
			t.Errorf("versions %v: %v; want an UnsafeCRDError that %s", tt.versions, err, tt.want)
		}
		if got := liveProps(t, name, "v1"); fmt.Sprint(got) != "[size]" {
			t.Errorf("versions %v: the refused CRD was changed: v1 has %v", tt.versions, got)
		}
	}
	if _, err := m.Apply(t.Context(), release.Desired{Name: "w", Namespace: ns, ForceCRDs: true,
		Chart: crdChart("0.2.0", widgetCRD(group, []string{"size", "color"}, "v2", "v1:unserved"), "")}); err != nil {
		t.Fatalf("with ForceCRDs: %v", err)
	}
	if got := liveProps(t, name, "v2"); fmt.Sprint(got) != "[color size]" {
		t.Errorf("with ForceCRDs, v2 has %v", got)
	}
}

func TestCheckCRDOwnership(t *testing.T) {
	crd := func(annos, labels map[string]string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "widgets.x"}}}
		u.SetAnnotations(annos)
		u.SetLabels(labels)
		return u
	}
	owner := release.CRDOwner{Release: "w", Namespace: "ns", Project: "shop"}
	for _, tt := range []struct {
		name         string
		annos, label map[string]string
		refused      bool
	}{
		{name: "unmarked, as helm's crds/ or kubectl leave it"},
		{name: "the release's", annos: map[string]string{release.ReleaseNameAnno: "w", release.ReleaseNamespaceAnno: "ns"}, label: map[string]string{release.ProjectLabel: "shop"}},
		{name: "another release's", annos: map[string]string{release.ReleaseNameAnno: "other", release.ReleaseNamespaceAnno: "ns"}, refused: true},
		{name: "same name, other namespace", annos: map[string]string{release.ReleaseNameAnno: "w", release.ReleaseNamespaceAnno: "other"}, refused: true},
		{name: "another project's", label: map[string]string{release.ProjectLabel: "blog"}, refused: true},
	} {
		err := release.CheckCRD(crd(tt.annos, tt.label), crd(nil, nil), owner)
		if (err != nil) != tt.refused {
			t.Errorf("%s: %v, refused = %t", tt.name, err, tt.refused)
		}
	}
}

// WithDeleteCRDs deletes only the CRDs of crds/ that bear the release's marks: one that a
// release in mode skip leaves to someone else stays.
func TestDeleteCRDsKeepsUnmarkedCRDs(t *testing.T) {
	ns := env.Namespace(t)
	group := ns + ".kaji.test"
	name := "widgets." + group
	deleteCRD(t, name)
	m := manager(t)
	// Installed by hand, as crds: skip expects.
	ch := crdChart("0.1.0", widgetCRD(group, []string{"size"}, "v1"), "")
	if _, err := m.Apply(t.Context(), release.Desired{Name: "byhand", Namespace: ns, CRDs: spec.CRDsCreate, Chart: ch}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(t.Context(), release.Desired{Name: "w", Namespace: ns, CRDs: spec.CRDsSkip, Chart: ch}); err != nil {
		t.Fatal(err)
	}
	res, err := m.WithDeleteCRDs(true).Uninstall(t.Context(), "w", ns, 0)
	if err != nil {
		t.Fatal(err)
	}
	if gone(t, name) || fmt.Sprint(res.KeptCRDs) != "["+name+"]" || len(res.DeletedCRDs) != 0 {
		t.Errorf("uninstall with delete CRDs of a release in mode skip: kept %v, deleted %v; want the unmarked CRD kept", res.KeptCRDs, res.DeletedCRDs)
	}
}
