package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// found is a source's view of two releases, as a helmfile or CDK reader reports them.
func twoReleases() *Found {
	f := &Found{Kind: KindHelmfile, Repositories: map[string]string{"nginx": "https://kubernetes.github.io/ingress-nginx", "grafana": "https://grafana.github.io/helm-charts"}}
	ing := Release{Origin: "helmfile.yaml:10"}
	ing.Name, ing.Namespace, ing.Chart, ing.Version = "ingress", "ingress-nginx", "nginx/ingress-nginx", "4.15.1"
	ing.Values = map[string]any{"controller": map[string]any{"replicaCount": 2, "image": map[string]any{"tag": "1.0"}}}
	gr := Release{Origin: "helmfile.yaml:20"}
	gr.Name, gr.Namespace, gr.Chart, gr.Version = "grafana", "monitoring", "grafana/grafana", "10.5.15"
	gr.Values = map[string]any{"adminPassword": "hunter2", "persistence": map[string]any{"enabled": true}}
	f.Releases = []Release{ing, gr}
	return f
}

func mergeInto(t *testing.T, file string, f *Found, opts Options) *Report {
	t.Helper()
	opts.File = file
	rep, err := Merge(context.Background(), f, nil, opts)
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	return rep
}

// resolvedValues merges the values kaji.yaml gives release name in env.
func resolvedValues(t *testing.T, file, env, name string) map[string]any {
	t.Helper()
	doc, err := spec.Load(file)
	if err != nil {
		t.Fatalf("load the kaji.yaml written: %v", err)
	}
	i := slices.IndexFunc(doc.File.Releases, func(r spec.Release) bool { return r.Name == name })
	if i < 0 {
		t.Fatalf("release %s is not in %s", name, file)
	}
	d, err := declared(doc, i, env)
	if err != nil {
		t.Fatal(err)
	}
	return d.Values
}

func mustNormalized(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	n, err := values.Merge([]spec.ValuesLayer{{Inline: v}})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMergeCreatesAFileThatSaysWhatRuns(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	rep := mergeInto(t, file, twoReleases(), Options{Project: "shop"})
	if !rep.Created || len(rep.Releases) != 2 {
		t.Fatalf("report = %+v", rep)
	}
	for _, r := range rep.Releases {
		if r.Outcome != OutcomeAdded {
			t.Errorf("%s: outcome %s, want added", r.Name, r.Outcome)
		}
	}
	f := twoReleases()
	for _, r := range f.Releases {
		if got, want := resolvedValues(t, file, "", r.Name), mustNormalized(t, r.Values); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: values read back %v, want %v", r.Name, got, want)
		}
	}
	kaji, _ := os.ReadFile(file)
	if strings.Contains(string(kaji), "hunter2") {
		t.Errorf("kaji.yaml holds a secret value:\n%s", kaji)
	}
	public, _ := os.ReadFile(filepath.Join(dir, "values/grafana.yaml"))
	if strings.Contains(string(public), "hunter2") {
		t.Errorf("values/grafana.yaml holds a secret value:\n%s", public)
	}
	secret, err := os.ReadFile(filepath.Join(dir, "values/grafana.secret.yaml"))
	if err != nil || !strings.Contains(string(secret), "hunter2") {
		t.Errorf("values/grafana.secret.yaml: %v\n%s", err, secret)
	}
	ignore, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if !strings.Contains(string(ignore), secretPattern) {
		t.Errorf(".gitignore does not list %s:\n%s", secretPattern, ignore)
	}
	if g := rep.Releases[1]; !reflect.DeepEqual(g.Secrets, []string{"adminPassword"}) || g.SecretFile != "values/grafana.secret.yaml" {
		t.Errorf("grafana report: secrets %v in %q", g.Secrets, g.SecretFile)
	}
	ing, _ := os.ReadFile(filepath.Join(dir, "values/ingress.yaml"))
	if !strings.Contains(string(ing), `tag: "1.0"`) {
		t.Errorf("the string 1.0 must stay a string:\n%s", ing)
	}
	for _, want := range []string{"project: shop", "nginx: https://kubernetes.github.io/ingress-nginx", "chart: nginx/ingress-nginx", "version: 4.15.1"} {
		if !strings.Contains(string(kaji), want) {
			t.Errorf("kaji.yaml lacks %q:\n%s", want, kaji)
		}
	}
}

func TestMergeAgainChangesNothing(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	mergeInto(t, file, twoReleases(), Options{})
	before := snapshot(t, dir)
	rep := mergeInto(t, file, twoReleases(), Options{})
	for _, r := range rep.Releases {
		if r.Outcome != OutcomeUnchanged {
			t.Errorf("%s: outcome %s, want unchanged (%v)", r.Name, r.Outcome, r.Differences)
		}
	}
	if after := snapshot(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("a second import changed files:\nbefore %v\nafter  %v", before, after)
	}
}

func TestMergeKeepsHandEditsUnlessOverwrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	mergeInto(t, file, twoReleases(), Options{})
	// A person edits kaji.yaml: a comment and a different replica count.
	kaji, _ := os.ReadFile(file)
	edited := strings.Replace(string(kaji), "releases:", "# the platform's releases\nreleases:", 1)
	if err := os.WriteFile(file, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	vals := filepath.Join(dir, "values/ingress.yaml")
	b, _ := os.ReadFile(vals)
	if err := os.WriteFile(vals, []byte(strings.Replace(string(b), "replicaCount: 2", "replicaCount: 5", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	f := twoReleases()
	f.Releases[1].Values["adminPassword"] = "changed"
	rep := mergeInto(t, file, f, Options{})
	ing, gr := rep.Releases[0], rep.Releases[1]
	if ing.Outcome != OutcomeDifferent || !reflect.DeepEqual(ing.Differences, []string{"values.controller.replicaCount: 5 → 2"}) {
		t.Errorf("ingress: %s %v", ing.Outcome, ing.Differences)
	}
	if gr.Outcome != OutcomeDifferent || !reflect.DeepEqual(gr.Differences, []string{"values.adminPassword: (secret) → (secret)"}) {
		t.Errorf("grafana: %s %v", gr.Outcome, gr.Differences)
	}
	if got := resolvedValues(t, file, "", "ingress"); got["controller"].(map[string]any)["replicaCount"] != float64(5) {
		t.Errorf("the hand edit was lost without --overwrite: %v", got)
	}
	rep = mergeInto(t, file, f, Options{Overwrite: true})
	if rep.Releases[0].Outcome != OutcomeReplaced {
		t.Errorf("ingress with --overwrite: %s", rep.Releases[0].Outcome)
	}
	if got := resolvedValues(t, file, "", "ingress"); got["controller"].(map[string]any)["replicaCount"] != float64(2) {
		t.Errorf("--overwrite kept the old value: %v", got)
	}
	kaji, _ = os.ReadFile(file)
	if !strings.Contains(string(kaji), "# the platform's releases") {
		t.Errorf("the comment was lost:\n%s", kaji)
	}
}

func TestMergeIntoAnEnvironmentWritesOnlyTheDifferences(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	mergeInto(t, file, twoReleases(), Options{Env: "test"})

	prod := twoReleases()
	prod.Releases[0].Version = "4.15.2"
	prod.Releases[0].Values["controller"].(map[string]any)["replicaCount"] = 3
	prod.Releases[0].Values["controller"].(map[string]any)["token"] = "prod-token"
	prod.Releases = prod.Releases[:1] // grafana does not run in prod
	extra := Release{Origin: "helmfile.yaml:30"}
	extra.Name, extra.Namespace, extra.Chart, extra.Version = "backup", "ops", "nginx/backup", "1.0.0"
	prod.Releases = append(prod.Releases, extra)

	rep := mergeInto(t, file, prod, Options{Env: "prod", Cluster: &spec.Cluster{KubeContext: "prod-ctx"}})
	got := map[string]Outcome{}
	for _, r := range rep.Releases {
		got[r.Name] = r.Outcome
	}
	want := map[string]Outcome{"ingress": OutcomeOverridden, "backup": OutcomeOnlyHere, "grafana": OutcomeAbsent}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	doc, err := spec.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	o := doc.File.Environments["prod"].Releases["ingress"]
	if o.Version != "4.15.2" || fmt.Sprint(o.Values) != "map[controller:map[replicaCount:3]]" {
		t.Errorf("prod override of ingress = %+v, want only the version and the changed value", o)
	}
	if got := resolvedValues(t, file, "prod", "ingress"); !reflect.DeepEqual(got, mustNormalized(t, prod.Releases[0].Values)) {
		t.Errorf("prod values read back %v", got)
	}
	if got := resolvedValues(t, file, "", "ingress"); got["controller"].(map[string]any)["replicaCount"] != float64(2) {
		t.Errorf("the base release changed: %v", got)
	}
	if e := doc.File.Environments["prod"]; e.Cluster == nil || e.Cluster.KubeContext != "prod-ctx" {
		t.Errorf("prod cluster = %+v", e.Cluster)
	}
	if e := doc.File.Environments["prod"].Releases["grafana"].Enabled; e == nil || *e {
		t.Errorf("grafana is not disabled in prod")
	}
	i := slices.IndexFunc(doc.File.Releases, func(r spec.Release) bool { return r.Name == "backup" })
	if i < 0 || doc.File.Releases[i].Enabled == nil || *doc.File.Releases[i].Enabled {
		t.Errorf("backup is not declared disabled")
	} else if e := doc.File.Environments["prod"].Releases["backup"].Enabled; e == nil || !*e {
		t.Errorf("backup is not enabled in prod")
	}
	if _, err := os.Stat(filepath.Join(dir, "values/ingress.prod.secret.yaml")); err != nil {
		t.Errorf("the prod token has no secret file: %v", err)
	}

	if b, err := os.ReadFile(file); err == nil && os.Getenv("SHOW") != "" {
		t.Log(string(b))
	}
	// Importing prod again finds everything as kaji.yaml says.
	rep = mergeInto(t, file, prod, Options{Env: "prod"})
	for _, r := range rep.Releases {
		if r.Outcome != OutcomeUnchanged {
			t.Errorf("second prod import: %s is %s %v", r.Name, r.Outcome, r.Differences)
		}
	}
}

// snapshot reads every file under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[strings.TrimPrefix(p, dir)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A release that the cluster has but that was skipped (its latest revision failed) is not
// absent: importing an environment must not disable it there.
func TestMergeIntoAnEnvironmentKeepsSkippedReleases(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	mergeInto(t, file, twoReleases(), Options{Env: "test"})
	prod := twoReleases()
	prod.Releases = prod.Releases[:1]
	rep, err := Merge(context.Background(), prod, []Skipped{{Name: "grafana", Namespace: "monitoring", Reason: "revision 4 is failed"}}, Options{File: file, Env: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Releases {
		if r.Name == "grafana" {
			t.Errorf("grafana, skipped, was reported %s", r.Outcome)
		}
	}
	doc, err := spec.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.File.Environments["prod"].Releases["grafana"]; ok {
		t.Errorf("prod overrides grafana, which was skipped, not absent: %+v", doc.File.Environments["prod"].Releases["grafana"])
	}
}

// A release name Helm refuses is skipped: it never becomes a file name, and nothing is written
// for it.
func TestMergeSkipsInvalidReleaseNames(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "project")
	file := filepath.Join(dir, "kaji.yaml")
	f := twoReleases()
	f.Releases[1].Name = "../../../pwn"
	f.Releases[0].Name = "My_App"
	rep := mergeInto(t, file, f, Options{})
	if len(rep.Releases) != 0 || len(rep.Skipped) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	if _, err := os.Stat(filepath.Join(dir, "..", "..", "..", "pwn.secret.yaml")); err == nil {
		t.Error("a release name was used as a path outside the project")
	}
	files := snapshot(t, dir)
	for name := range files {
		if strings.Contains(name, "values/") {
			t.Errorf("a values file was written for a skipped release: %s", name)
		}
	}
}

// A chart an earlier import could not find is replaced by the next import that finds it,
// without --overwrite; adopt: true is added to a declared release that helm made.
func TestMergeReplacesAChartPlaceholder(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	body := `apiVersion: kaji.dev/v1alpha1
project: shop
releases: [{name: ingress, namespace: ingress-nginx, chart: "<chart-import: ingress-nginx 4.15.1 from a repository>", version: 4.15.1}]
`
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	f := twoReleases()
	f.Releases = f.Releases[:1]
	f.Releases[0].Adopt = true
	rep := mergeInto(t, file, f, Options{})
	if rep.Releases[0].Outcome != OutcomeReplaced || rep.Blocking != 0 {
		t.Fatalf("report: %+v", rep.Releases[0])
	}
	b, _ := os.ReadFile(file)
	if strings.Contains(string(b), "chart-import") || !strings.Contains(string(b), "releases:\n  - name: ingress") {
		t.Errorf("kaji.yaml:\n%s", b)
	}
	// Declared by hand without adopt: the import adds it.
	if err := os.WriteFile(file, []byte(strings.Replace(string(b), "    adopt: true\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	rep = mergeInto(t, file, f, Options{})
	if rep.Releases[0].Outcome != OutcomeUnchanged {
		t.Errorf("outcome %s %v", rep.Releases[0].Outcome, rep.Releases[0].Differences)
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "adopt: true") {
		t.Errorf("adopt: true was not added:\n%s", b)
	}
}

// A value that the release sets and that does not run in the environment cannot be unset by
// an override: it must be fixed by hand, and no empty override is written.
func TestMergeIntoAnEnvironmentCannotUnset(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	mergeInto(t, file, twoReleases(), Options{Env: "test"})
	prod := twoReleases()
	delete(prod.Releases[0].Values["controller"].(map[string]any), "image")
	rep := mergeInto(t, file, prod, Options{Env: "prod"})
	if rep.Blocking != 1 {
		t.Errorf("blocking = %d, want 1 (controller.image cannot be unset in prod)", rep.Blocking)
	}
	doc, err := spec.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.File.Environments["prod"].Releases["ingress"]; ok {
		t.Errorf("an empty override was written: %+v", doc.File.Environments["prod"].Releases["ingress"])
	}
}
