package export_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensions "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	sigsyaml "sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/export"
	"kaji.dev/kaji/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

var crdsOnce struct {
	sync.Once
	err error
}

// installCRDs creates the vendored CRDs of testdata/crds and waits until the API server
// serves them.
func installCRDs(t *testing.T) {
	t.Helper()
	crdsOnce.Do(func() { crdsOnce.err = createCRDs() })
	if crdsOnce.err != nil {
		t.Fatal(crdsOnce.err)
	}
}

func createCRDs() error {
	client, err := apiextensions.NewForConfig(env.Config)
	if err != nil {
		return err
	}
	files, err := filepath.Glob("testdata/crds/*.yaml")
	if err != nil {
		return err
	}
	ctx := context.Background()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := sigsyaml.Unmarshal(data, &crd); err != nil {
			return err
		}
		if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, &crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			got, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// resources are the kinds an export writes.
var resources = map[string]schema.GroupVersionResource{
	"HelmRelease":    {Group: "helm.toolkit.fluxcd.io", Version: "v2", Resource: "helmreleases"},
	"HelmRepository": {Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "helmrepositories"},
	"OCIRepository":  {Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "ocirepositories"},
	"Application":    {Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"},
}

// dryRun creates obj with a server-side dry run and strict field validation: the API
// server checks it against the CRD's schema and its validation rules, and rejects unknown
// fields.
func dryRun(t *testing.T, obj *unstructured.Unstructured) error {
	t.Helper()
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	gvr, ok := resources[obj.GetKind()]
	if !ok {
		t.Fatalf("no resource for kind %s", obj.GetKind())
	}
	_, err = dyn.Resource(gvr).Namespace(obj.GetNamespace()).Create(context.Background(), obj,
		metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict})
	return err
}

// objects decodes the objects' files of res, which kustomization.yaml lists.
func objects(t *testing.T, res *export.Result) []*unstructured.Unstructured {
	t.Helper()
	var k struct{ Resources []string }
	for _, f := range res.Files {
		if f.Name == export.KustomizationFile {
			if err := sigsyaml.Unmarshal(f.Data, &k); err != nil {
				t.Fatal(err)
			}
		}
	}
	var out []*unstructured.Unstructured
	for _, name := range k.Resources {
		o := &unstructured.Unstructured{Object: objectOf(t, res, name)}
		out = append(out, o)
	}
	if len(out) == 0 || len(out) != len(res.Files)-2 {
		t.Fatalf("kustomization.yaml lists %d of the export's %d objects' files", len(out), len(res.Files)-2)
	}
	return out
}

func TestFluxExportIsValidOnTheAPIServer(t *testing.T) {
	ns := env.Namespace(t)
	installCRDs(t)
	for _, opts := range []export.FluxOptions{{Namespace: ns}, {Namespace: ns, GitRepository: "platform"}} {
		for _, e := range []string{"", "prod"} {
			res, err := export.Flux(context.Background(), project(t, e), opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objects(t, res) {
				if err := dryRun(t, o); err != nil {
					t.Errorf("env %q, git repository %q: the API server rejects %s %s: %v", e, opts.GitRepository, o.GetKind(), o.GetName(), err)
				}
			}
		}
	}
}

// TestDryRunRejectsInvalidFields shows that the dry run checks what the export writes: an
// exported HelmRelease changed in one field is rejected.
func TestDryRunRejectsInvalidFields(t *testing.T) {
	ns := env.Namespace(t)
	installCRDs(t)
	res, err := export.Flux(context.Background(), project(t, ""), export.FluxOptions{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(o *unstructured.Unstructured) error
		want   string
	}{
		{"enum", func(o *unstructured.Unstructured) error {
			return unstructured.SetNestedField(o.Object, "sometimes", "spec", "driftDetection", "mode")
		}, "spec.driftDetection.mode"},
		{"unknown field", func(o *unstructured.Unstructured) error {
			return unstructured.SetNestedField(o.Object, true, "spec", "install", "createNamespaces")
		}, "createNamespaces"},
		{"chart and chartRef", func(o *unstructured.Unstructured) error {
			return unstructured.SetNestedMap(o.Object, map[string]any{"spec": map[string]any{"chart": "x", "sourceRef": map[string]any{"kind": "HelmRepository", "name": "x"}}}, "spec", "chart")
		}, "either chart or chartRef must be set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &unstructured.Unstructured{Object: objectOf(t, res, "helmrelease-db.yaml")}
			if err := dryRun(t, o); err != nil {
				t.Fatalf("the exported HelmRelease is rejected before the change: %v", err)
			}
			if err := tc.change(o); err != nil {
				t.Fatal(err)
			}
			err := dryRun(t, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the changed HelmRelease: got %v, want an error about %s", err, tc.want)
			}
		})
	}
}

func TestArgoCDExportIsValidOnTheAPIServer(t *testing.T) {
	ns := env.Namespace(t)
	installCRDs(t)
	for _, opts := range []export.ArgoCDOptions{{Namespace: ns}, {Namespace: ns, GitRepo: "https://git.example.com/platform.git"}} {
		res, err := export.ArgoCD(context.Background(), project(t, "prod"), opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objects(t, res) {
			if err := dryRun(t, o); err != nil {
				t.Errorf("git repo %q: the API server rejects %s %s: %v", opts.GitRepo, o.GetKind(), o.GetName(), err)
			}
		}
	}
}
