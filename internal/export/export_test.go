package export_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/chartlock"
	"kaji.dev/kaji/internal/export"
	"kaji.dev/kaji/internal/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// project copies testdata/project to a directory outside any Git work tree and returns the
// export input of environment env.
func project(t *testing.T, env string) export.Input {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "project")
	if err := os.CopyFS(dir, os.DirFS("testdata/project")); err != nil {
		t.Fatal(err)
	}
	doc, err := spec.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := doc.Resolve(env)
	if err != nil {
		t.Fatal(err)
	}
	loader := chart.NewLoader(chart.Options{Repositories: doc.File.Repositories, CacheDir: t.TempDir(), Offline: true})
	lock, err := chartlock.Open(doc, chartlock.Options{Mode: chartlock.ModeReadonly, Environment: env, Loader: loader})
	if err != nil {
		t.Fatal(err)
	}
	return export.Input{Resolved: res, Pins: lock, Charts: loader}
}

// golden compares the files of res with testdata/golden/name, or rewrites them with -update.
func golden(t *testing.T, name string, res *export.Result) {
	t.Helper()
	dir := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := export.Write(dir, res); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("%v (run go test -update to write the golden files)", err)
	}
	if len(want) != len(res.Files) {
		t.Errorf("%d files, want %d as in %s", len(res.Files), len(want), dir)
	}
	for _, f := range res.Files {
		w, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if string(w) != string(f.Data) {
			t.Errorf("%s differs from %s (go test -update rewrites it):\n%s", f.Name, dir, f.Data)
		}
	}
}

// objectOf decodes the export's file name.
func objectOf(t *testing.T, res *export.Result, name string) map[string]any {
	t.Helper()
	for _, f := range res.Files {
		if f.Name == name {
			var o map[string]any
			if err := sigsyaml.Unmarshal(f.Data, &o); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return o
		}
	}
	t.Fatalf("the export has no %s", name)
	return nil
}

// at returns the value at a path of keys in o, or nil.
func at(o any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := o.(map[string]any)
			o = m[k]
		case int:
			l, _ := o.([]any)
			if k >= len(l) {
				return nil
			}
			o = l[k]
		}
	}
	return o
}

// plainSecrets are the plain values of values/db.enc.yaml: no export may hold them.
var plainSecrets = []string{"example-admin-password", "example-token", "grafana.example.com"}

func TestFluxExport(t *testing.T) {
	for _, env := range []string{"", "prod"} {
		t.Run("env="+env, func(t *testing.T) {
			res, err := export.Flux(context.Background(), project(t, env), export.FluxOptions{})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "flux-"+map[string]string{"": "default", "prod": "prod"}[env], res)
			for _, f := range res.Files {
				for _, s := range append(plainSecrets, "ENC[") {
					if strings.Contains(string(f.Data), s) {
						t.Errorf("%s holds %q, which is secret", f.Name, s)
					}
				}
			}

			db := objectOf(t, res, "helmrelease-db.yaml")
			if got := at(db, "spec", "values", "auth", "password"); got != nil {
				t.Errorf("db's values hold the reference %v; it belongs in valuesFrom", got)
			}
			if got := at(db, "spec", "values", "grafana", "adminPassword"); got != nil {
				t.Errorf("db's values hold grafana.adminPassword = %v, which the encrypted file overrides", got)
			}
			if got := at(db, "spec", "values", "grafana", "replicas"); got != 2.0 {
				t.Errorf("db's grafana.replicas = %v, want 2 from values/db.yaml", got)
			}
			wantFrom := []map[string]any{
				{"kind": "Secret", "name": "db-secret-values", "valuesKey": "db.enc.yaml"},
				{"kind": "Secret", "name": "db-secret-values", "valuesKey": "auth.password", "targetPath": "auth.password", "literal": true},
			}
			if got := at(db, "spec", "valuesFrom"); !equalJSON(t, got, wantFrom) {
				t.Errorf("db's valuesFrom = %v, want %v", got, wantFrom)
			}
			for _, k := range []string{"releaseName", "targetNamespace", "storageNamespace"} {
				want := map[string]string{"releaseName": "db", "targetNamespace": "shop", "storageNamespace": "shop"}[k]
				if got := at(db, "spec", k); got != want {
					t.Errorf("db's %s = %v, want %s: Flux must find the release kaji made", k, got, want)
				}
			}
			if got := at(db, "metadata", "labels", "kaji.dev/project"); got != "shop" {
				t.Errorf("db's kaji.dev/project label = %v, want shop", got)
			}

			oci := objectOf(t, res, "ocirepository-db.yaml")
			wantVersion := map[string]string{"": "16.2.1", "prod": "16.3.0"}[env]
			if got := at(oci, "spec", "ref", "tag"); got != wantVersion {
				t.Errorf("db's chart tag = %v, want %s as kaji.lock pins it", got, wantVersion)
			}

			ingress := objectOf(t, res, "helmrelease-ingress.yaml")
			wantReplicas := map[string]float64{"": 1, "prod": 3}[env]
			if got := at(ingress, "spec", "values", "controller", "replicaCount"); got != wantReplicas {
				t.Errorf("ingress replicaCount = %v, want %v", got, wantReplicas)
			}
			if got := at(ingress, "spec", "chart", "spec", "version"); got != "4.11.3" {
				t.Errorf("ingress chart version = %v, want 4.11.3 as kaji.lock pins it", got)
			}
			if got := at(ingress, "spec", "upgrade", "remediation", "strategy"); got != "rollback" {
				t.Errorf("ingress upgrade remediation = %v, want rollback from rollbackOnFailure", got)
			}

			api := objectOf(t, res, "helmrelease-api.yaml")
			if got := at(api, "spec", "dependsOn", 0, "name"); got != "db" {
				t.Errorf("api dependsOn = %v, want db from needs", at(api, "spec", "dependsOn"))
			}
			if got := at(api, "spec", "values", "env"); got != nil {
				t.Errorf("api's values hold env = %v, a list with a secret reference, which the Secret sets whole", got)
			}

			if hasFile(res, "helmrelease-web.yaml") || hasFile(res, "helmrelease-debug.yaml") {
				t.Error("web (a local chart, without --git-repository) or debug (disabled) was exported")
			}
			for _, want := range []string{"web: local chart: not exported", "debug: enabled:"} {
				if !hasNote(res, want) {
					t.Errorf("no note %q among %v", want, res.Notes)
				}
			}
		})
	}
}

func TestFluxExportLocalChartFromGit(t *testing.T) {
	res, err := export.Flux(context.Background(), project(t, ""), export.FluxOptions{GitRepository: "platform", Namespace: "gitops"})
	if err != nil {
		t.Fatal(err)
	}
	web := objectOf(t, res, "helmrelease-web.yaml")
	want := map[string]any{"chart": "./charts/web", "reconcileStrategy": "Revision", "sourceRef": map[string]any{"kind": "GitRepository", "name": "platform"}}
	if got := at(web, "spec", "chart", "spec"); !equalJSON(t, got, want) {
		t.Errorf("web's chart = %v, want %v", got, want)
	}
	if got := at(web, "spec", "install", "createNamespace"); got != nil {
		t.Errorf("web's install.createNamespace = %v, want unset (createNamespace: false)", got)
	}
	if got := at(web, "metadata", "namespace"); got != "gitops" {
		t.Errorf("web's namespace = %v, want gitops from --namespace", got)
	}
	if got := at(web, "metadata", "labels", "team"); got != "web" {
		t.Errorf("web's team label = %v, want web from kaji.yaml's labels", got)
	}
}

func hasFile(res *export.Result, name string) bool {
	for _, f := range res.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

func hasNote(res *export.Result, prefix string) bool {
	for _, n := range res.Notes {
		if strings.HasPrefix(n.String(), prefix) {
			return true
		}
	}
	return false
}

// equalJSON compares got and want as JSON documents.
func equalJSON(t *testing.T, got, want any) bool {
	t.Helper()
	g, err := sigsyaml.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sigsyaml.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	return string(g) == string(w)
}

func TestArgoCDExport(t *testing.T) {
	res, err := export.ArgoCD(context.Background(), project(t, "prod"), export.ArgoCDOptions{Server: "https://prod.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "argocd-prod", res)
	for _, f := range res.Files {
		if strings.HasPrefix(f.Name, "application-") && strings.Contains(string(f.Data), "ref+") {
			t.Errorf("%s holds a secret reference in its values", f.Name)
		}
	}
	api := objectOf(t, res, "application-api.yaml")
	if got := at(api, "metadata", "annotations", "argocd.argoproj.io/sync-wave"); got != "1" {
		t.Errorf("api's sync wave = %v, want 1 (it needs db)", got)
	}
	if got := at(api, "spec", "source", "repoURL"); got != "123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts" {
		t.Errorf("api's repoURL = %v, want the registry path without oci://", got)
	}
	db := objectOf(t, res, "application-db.yaml")
	if got := at(db, "spec", "source", "targetRevision"); got != "16.3.0" {
		t.Errorf("db's targetRevision = %v, want 16.3.0 as kaji.lock pins it for prod", got)
	}
	if got := at(db, "spec", "destination", "server"); got != "https://prod.example.com" {
		t.Errorf("db's destination = %v, want --server's", got)
	}
	if got := at(db, "spec", "syncPolicy", "syncOptions", 0); got != "CreateNamespace=true" {
		t.Errorf("db's syncOptions = %v, want CreateNamespace=true", got)
	}
	if !hasNote(res, "db: secrets:") || !hasNote(res, "web: local chart: not exported") {
		t.Errorf("the notes do not list db's secrets and web's local chart: %v", res.Notes)
	}
}

func TestArgoCDDestinationFromKubeconfig(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "config")
	body := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: https://10.0.0.1:6443}\ncontexts:\n- name: shop-prod\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: x}\n"
	if err := os.WriteFile(kc, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := export.ArgoCD(context.Background(), project(t, ""), export.ArgoCDOptions{Kubeconfig: kc, KubeContext: "shop-prod"})
	if err != nil {
		t.Fatal(err)
	}
	if got := at(objectOf(t, res, "application-db.yaml"), "spec", "destination", "server"); got != "https://10.0.0.1:6443" {
		t.Errorf("destination server = %v, want the kubeconfig context's", got)
	}
}
