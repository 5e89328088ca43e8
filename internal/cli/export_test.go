package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/cli"
)

// exported reads the files an export wrote to dir, by name, and fails t when one holds a
// secret of w or when kustomization.yaml does not list exactly the manifests written.
func exported(t *testing.T, w docsWorld, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	var manifests []string
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
		for _, s := range w.secrets {
			if leaked := s.leaks(string(data)); len(leaked) > 0 {
				t.Errorf("%s holds a secret (%q)", e.Name(), leaked)
			}
		}
		if strings.HasSuffix(e.Name(), ".yaml") && e.Name() != "kustomization.yaml" {
			manifests = append(manifests, e.Name())
		}
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal([]byte(files["kustomization.yaml"]), &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	slices.Sort(k.Resources)
	if !slices.Equal(k.Resources, manifests) {
		t.Errorf("kustomization.yaml lists %v, the export wrote %v", k.Resources, manifests)
	}
	return files
}

// kaji export flux and argocd, as a user runs them: offline (no AWS call, no secret read or
// written), at the version kaji.lock pins, with needs as dependsOn and sync waves, local
// charts named where they cannot be exported, and the Secrets to create listed.
func TestExportCommands(t *testing.T) {
	w := docsProject(t)
	export := func(args ...string) run {
		t.Helper()
		r := kaji(t, "", false, append([]string{"export"}, append(args, "-f", w.path, "--env", "prod")...)...)
		if r.code != cli.ExitOK {
			t.Fatalf("kaji export %q: exit %d\n%s%s", args, r.code, r.out, r.err)
		}
		for _, s := range w.secrets {
			if leaked := s.leaks(r.out + r.err); len(leaked) > 0 {
				t.Errorf("kaji export %q printed a secret (%q)", args, leaked)
			}
		}
		return r
	}

	fluxDir := filepath.Join(t.TempDir(), "flux")
	r := export("flux", "-o", fluxDir)
	flux := exported(t, w, fluxDir)
	greeter := flux["helmrelease-greeter.yaml"]
	for _, want := range []string{"kind: HelmRelease", "releaseName: greeter", "storageNamespace: platform", "version: 1.2.0"} {
		if !strings.Contains(greeter, want) {
			t.Errorf("helmrelease-greeter.yaml lacks %q:\n%s", want, greeter)
		}
	}
	if _, ok := flux["helmrelease-web.yaml"]; ok {
		t.Errorf("web, a local chart, was exported without a Git source")
	}
	if !strings.Contains(r.out, "web: local chart: not exported") {
		t.Errorf("kaji export flux does not say that web is left out:\n%s", r.out)
	}

	// With a Git source for the local charts, web is exported after greeter, which it needs,
	// and the Secret its SOPS file becomes (in prod it sets db.password, over the reference)
	// is listed for the user to make.
	withGit := filepath.Join(t.TempDir(), "flux")
	r = export("flux", "-o", withGit, "--git-repository", "platform")
	if !strings.Contains(r.out, "web-secret-values key web-prod.sops.yaml: the decrypted values file `values/web-prod.sops.yaml`") {
		t.Errorf("kaji export flux does not list the Secret of the SOPS file:\n%s", r.out)
	}
	web := exported(t, w, withGit)["helmrelease-web.yaml"]
	for _, want := range []string{"kind: GitRepository", "name: platform", "dependsOn:", "name: greeter", "valuesFrom:", "name: web-secret-values"} {
		if !strings.Contains(web, want) {
			t.Errorf("helmrelease-web.yaml lacks %q:\n%s", want, web)
		}
	}

	argoDir := filepath.Join(t.TempDir(), "argocd")
	export("argocd", "-o", argoDir, "--server", "https://prod.example:6443")
	var app string
	for name, text := range exported(t, w, argoDir) {
		if strings.Contains(text, "kind: Application") && strings.Contains(text, "releaseName: greeter") {
			app = name
			for _, want := range []string{"targetRevision: 1.2.0", "server: https://prod.example:6443", "namespace: platform"} {
				if !strings.Contains(text, want) {
					t.Errorf("%s lacks %q:\n%s", name, want, text)
				}
			}
		}
	}
	if app == "" {
		t.Errorf("kaji export argocd wrote no Application for greeter")
	}
	if calls := w.sim.Calls(); len(calls) != 0 {
		t.Errorf("kaji export made %d AWS calls, want none (it runs offline)", len(calls))
	}
}
