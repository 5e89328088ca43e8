package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeSpec writes a kaji.yaml whose releases use oci:// charts, so that it needs no chart on
// disk, and loads it. Each release is "name" or "name: need need ...".
func writeSpec(t *testing.T, releases ...string) *Document {
	t.Helper()
	var b strings.Builder
	b.WriteString("apiVersion: kaji.dev/v1alpha1\nproject: p\nreleases:\n")
	for _, r := range releases {
		name, needs, _ := strings.Cut(r, ":")
		fmt.Fprintf(&b, "  - name: %s\n    namespace: ns\n    chart: oci://example.com/charts/%s\n", name, name)
		if needs = strings.TrimSpace(needs); needs != "" {
			fmt.Fprintf(&b, "    needs: [%s]\n", strings.Join(strings.Fields(needs), ", "))
		}
	}
	file := filepath.Join(t.TempDir(), "kaji.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func names(releases []ResolvedRelease) string {
	out := make([]string, len(releases))
	for i, r := range releases {
		out[i] = r.Name
	}
	return strings.Join(out, " ")
}

func TestResolveOrder(t *testing.T) {
	tests := []struct {
		name     string
		releases []string
		want     string
	}{
		{"no needs keep file order", []string{"c", "a", "b"}, "c a b"},
		{"chain", []string{"a: b", "b: c", "c"}, "c b a"},
		{"diamond", []string{"app: api web", "web: db", "api: db", "db"}, "db web api app"},
		{"unordered releases keep file order", []string{"x", "a: b", "y", "b"}, "x y b a"},
		{"needs earlier release", []string{"db", "api: db", "web: api"}, "db api web"},
		{"several needs", []string{"a: d c", "b", "c", "d: b"}, "b c d a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := writeSpec(t, tt.releases...).Resolve("")
			if err != nil {
				t.Fatal(err)
			}
			if got := names(r.Releases); got != tt.want {
				t.Errorf("order = %s, want %s", got, tt.want)
			}
			var reversed []string
			for _, w := range strings.Fields(tt.want) {
				reversed = append([]string{w}, reversed...)
			}
			if got, want := names(r.Reverse()), strings.Join(reversed, " "); got != want {
				t.Errorf("Reverse() = %s, want %s", got, want)
			}
			if got := names(r.Releases); got != tt.want {
				t.Errorf("Reverse changed Releases to %s", got)
			}
		})
	}
}

func TestResolveEnvironments(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	d, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := filepath.Abs("testdata/valid")
	if err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { return filepath.Join(dir, p) }
	at := func(line, col int) Pos { return Pos{File: "testdata/valid/full.yaml", Line: line, Column: col} }
	webFile := ValuesLayer{File: abs("../values/common.yaml"), Origin: at(16, 9)}
	webInline := ValuesLayer{Inline: map[string]any{"replicaCount": float64(2), "image": map[string]any{"tag": "1.10"}}, Origin: at(17, 5)}

	tests := []struct {
		env       string
		cluster   Cluster
		dbVersion string
		webValues []ValuesLayer
	}{
		{
			env:       "",
			cluster:   Cluster{KubeContext: "kind-shop", Kubeconfig: abs("kube/config")},
			dbVersion: "16.2.1",
			webValues: []ValuesLayer{webFile, webInline},
		},
		{
			env:       "test",
			cluster:   Cluster{KubeContext: "kind-test", Kubeconfig: abs("kube/config")},
			dbVersion: "16.2.1",
			webValues: []ValuesLayer{webFile, webInline, {File: abs("../values/test.yaml"), Origin: at(46, 23)}},
		},
		{
			env: "prod",
			cluster: Cluster{
				KubeContext: "kind-shop",
				Kubeconfig:  filepath.Join(home, ".kube/prod"),
				EKS:         &EKS{Name: "shop-prod", Region: "eu-west-1", RoleARN: "arn:aws:iam::123456789012:role/kaji"},
			},
			dbVersion: "16.3.0",
			webValues: []ValuesLayer{
				webFile, webInline,
				{File: abs("../values/prod.yaml"), Origin: at(57, 13)},
				{Inline: map[string]any{"replicaCount": float64(5)}, Origin: at(58, 9)},
			},
		},
	}
	for _, tt := range tests {
		t.Run("env="+tt.env, func(t *testing.T) {
			r, err := d.Resolve(tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if r.Project != "shop" || r.Environment != tt.env || r.Dir != dir {
				t.Errorf("Project, Environment, Dir = %q, %q, %q", r.Project, r.Environment, r.Dir)
			}
			if !reflect.DeepEqual(r.Cluster, tt.cluster) {
				t.Errorf("cluster = %+v (eks %+v), want %+v (eks %+v)", r.Cluster, r.Cluster.EKS, tt.cluster, tt.cluster.EKS)
			}
			if got, want := names(r.Releases), "ingress db api web"; got != want {
				t.Errorf("order = %s, want %s", got, want)
			}
			byName := map[string]ResolvedRelease{}
			for _, rel := range r.Releases {
				byName[rel.Name] = rel
			}
			if got := byName["db"].Version; got != tt.dbVersion {
				t.Errorf("db version = %q, want %q", got, tt.dbVersion)
			}
			if got := byName["web"].Values; !reflect.DeepEqual(got, tt.webValues) {
				t.Errorf("web values =\n%+v\nwant\n%+v", got, tt.webValues)
			}
		})
	}
}

func TestResolveReleaseFields(t *testing.T) {
	d, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	charts, err := filepath.Abs("testdata/charts")
	if err != nil {
		t.Fatal(err)
	}
	at := func(line, col int) Pos { return Pos{File: "testdata/valid/full.yaml", Line: line, Column: col} }
	want := []ResolvedRelease{
		{
			Name: "ingress", Namespace: "ingress-nginx", Chart: "ingress-nginx/ingress-nginx", ChartKind: ChartRepo,
			Version: "~4.11.0", CreateNamespace: true, MaxHistory: 20, CRDs: CRDsApply, Pos: at(21, 5),
			Values: []ValuesLayer{{Inline: map[string]any{"controller": map[string]any{
				"replicaCount": float64(1), "ratio": 0.5, "enabled": true,
			}}, Origin: at(25, 5)}},
		},
		{
			Name: "db", Namespace: "shop", Chart: "oci://registry-1.docker.io/bitnamicharts/postgresql", ChartKind: ChartOCI,
			Version: "16.2.1", CreateNamespace: false, MaxHistory: 20, CRDs: CRDsApply, Pos: at(30, 5),
		},
		{
			Name: "api", Namespace: "shop", Chart: filepath.Join(charts, "packaged-0.1.0.tgz"), ChartKind: ChartLocal,
			Needs: []string{"db"}, CreateNamespace: true, MaxHistory: 0, CRDs: CRDsApply, Pos: at(35, 5),
		},
	}
	for i, w := range want {
		if got := r.Releases[i]; !reflect.DeepEqual(got, w) {
			t.Errorf("release %d =\n%+v\nwant\n%+v", i, got, w)
		}
	}
	web := r.Releases[3]
	if web.Chart != filepath.Join(charts, "web") || web.ChartKind != ChartLocal {
		t.Errorf("web chart = %s (%s), want the absolute path of testdata/charts/web", web.Chart, web.ChartKind)
	}
	if !reflect.DeepEqual(web.Needs, []string{"api", "ingress"}) {
		t.Errorf("web needs = %v", web.Needs)
	}

	// Callers may merge into the layers without changing the document.
	web.Values[1].Inline["replicaCount"] = 99
	web.Values[1].Inline["image"].(map[string]any)["tag"] = "changed"
	again, err := d.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Releases[3].Values[1].Inline; got["replicaCount"] != float64(2) || got["image"].(map[string]any)["tag"] != "1.10" {
		t.Errorf("changing resolved values changed the document: %v", got)
	}
}

func TestResolveUnknownEnvironment(t *testing.T) {
	d, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc  *Document
		env  string
		want string
	}{
		{d, "prd", `unknown environment "prd" (did you mean "prod"?); testdata/valid/full.yaml defines: prod, test`},
		{d, "staging", `unknown environment "staging"; testdata/valid/full.yaml defines: prod, test`},
		{writeSpec(t, "a"), "prod", `unknown environment "prod": `},
	}
	for _, tt := range tests {
		_, err := tt.doc.Resolve(tt.env)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Resolve(%q) = %v, want an error starting with %q", tt.env, err, tt.want)
		}
	}
	if _, err := writeSpec(t, "a").Resolve("prod"); err == nil || !strings.HasSuffix(err.Error(), "defines no environments") {
		t.Errorf("Resolve with no environments = %v, want it to say there are none", err)
	}
}

func TestResolveMinimal(t *testing.T) {
	d, err := Load("testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if r.Project != "empty" || len(r.Releases) != 0 || r.Cluster != (Cluster{}) {
		t.Errorf("Resolve = %+v, want project empty, no releases and an empty cluster", r)
	}
}

// TestExamples loads and resolves every examples/*/kaji.yaml in every environment it defines.
func TestExamples(t *testing.T) {
	files, err := filepath.Glob("../../examples/*/kaji.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		d, err := Load(file)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		for _, env := range append([]string{""}, sortedKeys(d.File.Environments)...) {
			if _, err := d.Resolve(env); err != nil {
				t.Errorf("%s --env %q: %v", file, env, err)
			}
		}
	}
}

// The project's crds is the default of every release, which may set its own.
func TestResolveCRDModes(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	src := `apiVersion: kaji.dev/v1alpha1
project: shop
crds: create
releases:
  - {name: a, namespace: shop, chart: repo/a}
  - {name: b, namespace: shop, chart: repo/b, crds: skip}
repositories:
  repo: https://example.com/charts
environments:
  prod:
    releases:
      b: {crds: apply}
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if a, b := r.Releases[0].CRDs, r.Releases[1].CRDs; a != CRDsCreate || b != CRDsSkip {
		t.Errorf("crds = %q, %q; want create (the project's), skip (the release's)", a, b)
	}

	bad := src + "  bad:\n    releases:\n      a: {crds: upgrade}\n"
	if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(file)
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Path != "environments.bad.releases.a.crds" || ps[0].Pos.Line != 15 {
		t.Errorf("load: %v; want one problem at environments.bad.releases.a.crds, line 15", err)
	}
	if r, err = d.Resolve("prod"); err != nil || r.Releases[1].CRDs != CRDsApply {
		t.Errorf("prod: %v, crds of b %q; want apply (the environment's)", err, r.Releases[1].CRDs)
	}
}
