package spec

import (
	"errors"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata and schema/kaji.schema.json")

// TestLoadGolden loads every testdata/load/*.yaml, each of which has mistakes, and compares the
// problems with testdata/load/*.golden. Run go test -update to rewrite the golden files.
func TestLoadGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/load/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/load")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			_, err := Load(file)
			var problems Problems
			if !errors.As(err, &problems) {
				t.Fatalf("Load(%s) = %v, want Problems", file, err)
			}
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", err.Error()+"\n")
		})
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/spec -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test ./internal/spec -update if the change is intended)\n--- got\n%s--- want\n%s", file, got, want)
	}
}

// TestLoadProblems pins the problems that matter most, independently of the golden files.
func TestLoadProblems(t *testing.T) {
	tests := []struct {
		file string
		// want are problems that must be reported, compared on the fields that are set.
		want []Problem
		// count is the exact number of problems, when not zero.
		count int
	}{
		{
			file: "unknown-fields.yaml",
			want: []Problem{
				{Pos: Pos{Line: 2, Column: 1}, Path: "Project", Message: `unknown field "Project"`, Hint: `did you mean "project"?`},
				{Pos: Pos{Line: 3, Column: 1}, Path: "relases", Message: `unknown field "relases"`, Hint: `did you mean "releases"?`},
				{Pos: Pos{Line: 5, Column: 3}, Path: "cluster.kubecontext", Hint: `did you mean "kubeContext"?`},
				{Pos: Pos{Line: 8, Column: 5}, Path: "cluster.eks.regoin", Hint: `did you mean "region"?`},
				{Pos: Pos{Line: 11, Column: 5}, Path: "releases[0].namspace", Hint: `did you mean "namespace"?`},
				{Pos: Pos{Line: 13, Column: 5}, Path: "releases[0].valueFiles", Hint: `did you mean "valuesFiles"?`},
				{Pos: Pos{Line: 17, Column: 5}, Path: "releases[0].colour", Message: `unknown field "colour"`,
					Hint: "fields allowed in releases[0]: name, namespace, chart, version, values, valuesFiles, needs, labels, createNamespace, wait, timeout, maxHistory, forceConflicts, ignoreDifferences, crds, enabled, rollbackOnFailure, adopt, acceptDroppedKeys"},
				{Pos: Pos{Line: 20, Column: 5}, Path: "environments.prod.relases", Hint: `did you mean "releases"?`},
				// project is missing, because it was spelled Project.
				{Path: "project", Message: "project is required"},
				// namespace and eks.region are missing, because they were misspelt.
				{Pos: Pos{Line: 10, Column: 5}, Path: "releases[0].namespace", Message: "namespace is required"},
				{Pos: Pos{Line: 6, Column: 3}, Path: "cluster.eks.region", Message: "eks.region is required"},
			},
			count: 11,
		},
		{
			file: "types.yaml",
			want: []Problem{
				{Pos: Pos{Line: 3, Column: 10}, Path: "cluster", Message: `expected a mapping, got the string "kind-shop"`},
				{Pos: Pos{Line: 5, Column: 12}, Path: "repositories.bitnami", Message: "expected a string, got a list"},
				{Pos: Pos{Line: 7, Column: 11}, Path: "releases[0].name", Message: "expected a string, got a list"},
				{Pos: Pos{Line: 10, Column: 12}, Path: "releases[0].needs", Message: `expected a list, got the string "db"`, Hint: "write a list, such as [db]"},
				{Pos: Pos{Line: 11, Column: 22}, Path: "releases[0].createNamespace", Message: `expected true or false, got the string "yes"`},
				{Pos: Pos{Line: 12, Column: 13}, Path: "releases[0].values", Message: "expected a mapping, got a list"},
				{Pos: Pos{Line: 16, Column: 18}, Path: "releases[1].valuesFiles"},
				{Pos: Pos{Line: 18, Column: 9}, Path: "environments.prod", Message: "expected a mapping, got a list"},
			},
			// Wrongly typed fields are not reported again as missing: no "name is required".
			count: 8,
		},
		{
			file: "labels.yaml",
			want: []Problem{
				{Pos: Pos{Line: 10, Column: 7}, Path: `releases[0].labels["Bad Key"]`, Message: `invalid label key "Bad Key"`},
				{Pos: Pos{Line: 11, Column: 7}, Path: "releases[0].labels.tier", Message: `invalid value "has spaces" of label "tier"`},
				{Pos: Pos{Line: 16, Column: 13}, Path: "releases[1].labels", Message: "expected a mapping, got a list"},
				{Pos: Pos{Line: 22, Column: 9}, Path: "releases[2].labels.team", Message: "expected a string, got a mapping"},
				{Pos: Pos{Line: 23, Column: 7}, Path: "releases[2].labels.-leading", Message: `invalid label key "-leading"`},
				// Labels select releases the same way in every environment.
				{Pos: Pos{Line: 28, Column: 9}, Path: "environments.prod.releases.web.labels", Message: `unknown field "labels"`},
			},
			// team: payments, example.com/tier: "1" and empty: "" are valid.
			count: 6,
		},
		{
			file: "duplicate-keys.yaml",
			want: []Problem{
				{Pos: Pos{Line: 7, Column: 5}, Path: "releases[0].namespace", Message: `duplicate key "namespace"`, Hint: "it is already set at line 5"},
				{Pos: Pos{Line: 11, Column: 9}, Path: "releases[0].values.image.tag", Message: `duplicate key "tag"`},
				{Pos: Pos{Line: 12, Column: 1}, Path: "project", Message: `duplicate key "project"`},
			},
			count: 3,
		},
		{
			file: "ignore-differences.yaml",
			want: []Problem{
				{Pos: Pos{Line: 7, Column: 21}, Path: "releases[0].forceConflicts", Message: `expected true or false, got the string "yes"`},
				{Pos: Pos{Line: 9, Column: 9}, Path: "releases[0].ignoreDifferences[0].kind", Message: "kind is required"},
				{Pos: Pos{Line: 12, Column: 9}, Path: "releases[0].ignoreDifferences[1].group", Message: `group "apps/v1" has a version`},
				{Pos: Pos{Line: 13, Column: 9}, Path: "releases[0].ignoreDifferences[1].paths", Message: "paths needs at least one JSON pointer"},
				{Pos: Pos{Line: 15, Column: 17}, Path: "releases[0].ignoreDifferences[2].paths[0]", Message: `invalid JSON pointer: "spec/ports" does not start with /`},
				{Pos: Pos{Line: 15, Column: 29}, Path: "releases[0].ignoreDifferences[2].paths[1]", Message: `invalid JSON pointer: "/a~2b": ~ must be followed by 0 (for ~) or 1 (for /)`},
				{Pos: Pos{Line: 17, Column: 9}, Path: "releases[0].ignoreDifferences[3].path", Message: `unknown field "path"`, Hint: `did you mean "paths"?`},
				{Pos: Pos{Line: 19, Column: 16}, Path: "releases[0].ignoreDifferences[4].paths", Message: `expected a list, got the string "/data"`},
				{Pos: Pos{Line: 27, Column: 21}, Path: "environments.prod.releases.web.ignoreDifferences[0].paths[0]", Message: `invalid JSON pointer: "replicas" does not start with /`},
			},
			// ignoreDifferences[3] misspells paths, so paths is also missing; [4]'s paths has the
			// wrong type and is not reported again as missing.
			count: 10,
		},
		{file: "empty.yaml", want: []Problem{{Message: "the file is empty"}}, count: 1},
		{file: "comments-only.yaml", want: []Problem{{Message: "the file is empty"}}, count: 1},
		{file: "multi-doc.yaml", want: []Problem{{Pos: Pos{Line: 4, Column: 1}, Message: "a second YAML document starts here; kaji.yaml must hold exactly one"}}, count: 1},
		{file: "syntax.yaml", want: []Problem{{Pos: Pos{Line: 5}, Message: "invalid YAML: could not find expected ':'"}}, count: 1},
		{file: "list-root.yaml", want: []Problem{{Pos: Pos{Line: 1, Column: 1}, Message: "expected a mapping at the top of the file, got a list"}}, count: 1},
		{
			file:  "api-version-missing.yaml",
			want:  []Problem{{Path: "apiVersion", Message: "apiVersion is required", Hint: "write apiVersion: kaji.dev/v1alpha1 at the top of the file"}},
			count: 1,
		},
		{
			file:  "api-version-wrong.yaml",
			want:  []Problem{{Pos: Pos{Line: 1, Column: 1}, Path: "apiVersion", Message: `unsupported apiVersion "kaji.dev/v1"`, Hint: "write apiVersion: kaji.dev/v1alpha1"}},
			count: 1,
		},
		{
			file: "names.yaml",
			want: []Problem{
				{Pos: Pos{Line: 2, Column: 1}, Path: "project", Message: `invalid project "Shop Front!": it becomes a label value`},
				{Pos: Pos{Line: 4, Column: 3}, Path: `repositories["my/repo"]`, Message: `invalid repository name "my/repo"`},
				{Pos: Pos{Line: 5, Column: 3}, Path: "repositories.ftp", Message: `repository "ftp": URL "ftp://example.com/charts" must start with https://, http:// or oci://`},
				{Pos: Pos{Line: 6, Column: 3}, Path: "repositories.nohost", Message: `repository "nohost": URL "https://" has no host`},
				{Pos: Pos{Line: 7, Column: 3}, Path: "repositories.empty", Message: `repository "empty" has no URL`},
				{Pos: Pos{Line: 9, Column: 5}, Path: "releases[0].name", Message: `invalid release name "Web_App"`},
				{Pos: Pos{Line: 10, Column: 5}, Path: "releases[0].namespace", Message: `invalid namespace "Shop"`},
				{Pos: Pos{Line: 12, Column: 5}, Path: "releases[1].name", Message: `release name "a-release-name-that-is-far-too-long-for-helm-to-accept-it" is 57 characters long; Helm allows at most 53`},
				{Pos: Pos{Line: 13, Column: 5}, Path: "releases[1].namespace"},
				{Pos: Pos{Line: 18, Column: 5}, Path: "releases[3].name", Message: `duplicate release name "web"`, Hint: "release names must be unique; releases[2] at line 15 has it too"},
				{Pos: Pos{Line: 21, Column: 5}, Path: "releases[4].name", Message: "name is required"},
				{Pos: Pos{Line: 21, Column: 5}, Path: "releases[4].namespace", Message: "namespace is required"},
				{Pos: Pos{Line: 22, Column: 5}, Path: "releases[5].chart", Message: "chart is required"},
				{Pos: Pos{Line: 25, Column: 3}, Path: `environments["prod env"]`, Message: `invalid environment name "prod env"`},
			},
			count: 14,
		},
		{
			file: "charts.yaml",
			want: []Problem{
				{Pos: Pos{Line: 8, Column: 5}, Path: "releases[0].chart", Message: `chart "bitnam/nginx": unknown repository "bitnam" and no local chart at that path`, Hint: `did you mean "bitnami"?`},
				{Pos: Pos{Line: 11, Column: 5}, Path: "releases[1].chart", Hint: "add jetstack under repositories, or write ./jetstack/cert-manager for a local chart"},
				{Pos: Pos{Line: 14, Column: 5}, Path: "releases[2].chart", Message: `chart "./charts/missing" does not exist`},
				{Pos: Pos{Line: 17, Column: 5}, Path: "releases[3].chart", Message: `chart "nginx" does not exist`},
				{Pos: Pos{Line: 20, Column: 5}, Path: "releases[4].chart", Message: `chart "../charts/nochart" is a directory without Chart.yaml`},
				{Pos: Pos{Line: 23, Column: 5}, Path: "releases[5].chart", Message: `chart "../charts/web/Chart.yaml" is neither a chart directory nor a .tgz archive`},
				{Pos: Pos{Line: 26, Column: 5}, Path: "releases[6].chart", Message: `chart "https://example.com/charts/web-1.0.0.tgz": chart URLs are not supported`},
				{Pos: Pos{Line: 29, Column: 5}, Path: "releases[7].chart", Message: `invalid OCI chart reference "oci://"`},
				{Pos: Pos{Line: 32, Column: 5}, Path: "releases[8].chart", Message: `invalid repository chart "bitnami/nginx/extra"`},
				{Pos: Pos{Line: 35, Column: 5}, Path: "releases[9].chart", Message: `invalid repository chart "bitnami/"`},
			},
			count: 10,
		},
		{
			file: "needs.yaml",
			want: []Problem{
				{Pos: Pos{Line: 7, Column: 18}, Path: "releases[0].needs[1]", Message: `release "databse" not found`, Hint: `did you mean "database"?`},
				{Pos: Pos{Line: 7, Column: 27}, Path: "releases[0].needs[2]", Message: `release "web" needs itself`},
				{Pos: Pos{Line: 7, Column: 32}, Path: "releases[0].needs[3]", Message: `release "api" is listed twice in needs`},
				{Pos: Pos{Line: 19, Column: 13}, Path: "releases[3].needs[0]", Message: "dependency cycle: api → database → cache → api"},
				{Pos: Pos{Line: 27, Column: 13}, Path: "releases[5].needs[0]", Message: "dependency cycle: left → right → left"},
				{Pos: Pos{Line: 27, Column: 19}, Path: "releases[5].needs[1]", Message: `release "queue" not found`, Hint: "needs lists names of releases in this file"},
			},
			count: 6,
		},
		{
			file: "values-files.yaml",
			want: []Problem{
				{Pos: Pos{Line: 9, Column: 9}, Path: "releases[0].valuesFiles[1]", Message: `values file "../values/missing.yaml" does not exist`},
				{Pos: Pos{Line: 10, Column: 9}, Path: "releases[0].valuesFiles[2]", Message: `values file "../values" cannot be read: is a directory`},
				{Pos: Pos{Line: 11, Column: 9}, Path: "releases[0].valuesFiles[3]", Message: "empty values file path"},
				{Pos: Pos{Line: 16, Column: 23}, Path: "environments.prod.releases.web.valuesFiles[0]", Message: `values file "../values/prod-missing.yaml" does not exist`},
			},
			count: 4,
		},
		{
			file: "versions.yaml",
			want: []Problem{
				{Pos: Pos{Line: 17, Column: 5}, Path: "releases[2].version", Message: `invalid version: improper constraint: "latest"`},
				{Pos: Pos{Line: 21, Column: 5}, Path: "releases[3].version"},
				{Pos: Pos{Line: 26, Column: 9}, Path: "environments.prod.releases.exact.version"},
			},
			count: 3,
		},
		{
			file: "environments.yaml",
			want: []Problem{
				{Pos: Pos{Line: 13, Column: 7}, Path: "environments.test.releases.wbe", Message: `environment "test" overrides release "wbe", which is not defined`, Hint: `did you mean "web"?`},
				{Pos: Pos{Line: 15, Column: 7}, Path: "environments.test.releases.ingress", Hint: `did you mean "ingress-nginx"?`},
				{Pos: Pos{Line: 17, Column: 7}, Path: "environments.test.releases.unrelated", Hint: "environments can only override releases defined under releases"},
				{Pos: Pos{Line: 21, Column: 7}, Path: "environments.prod_eu.cluster.eks.region", Message: "eks.region is required"},
				{Pos: Pos{Line: 23, Column: 3}, Path: "environments.-bad-", Message: `invalid environment name "-bad-"`},
			},
			count: 5,
		},
		{
			file:  "recursive-alias.yaml",
			want:  []Problem{{Pos: Pos{Line: 9, Column: 13}, Message: "alias *web refers to a node that contains it"}},
			count: 1,
		},
		{
			file: "odd-keys.yaml",
			want: []Problem{
				{Pos: Pos{Line: 3, Column: 3}, Path: "", Message: "expected a string key, got a list"},
				{Pos: Pos{Line: 10, Column: 11}, Path: `releases[0].values["<<"]`, Message: "a merge key (<<) takes a mapping, an alias of one, or a list of them"},
				{Pos: Pos{Line: 11, Column: 9}, Path: "releases[0].values", Message: "expected a string key, got a mapping"},
				{Pos: Pos{Line: 13, Column: 9}, Path: `releases[1]["<<"]`},
			},
			count: 4,
		},
		{
			// Decoding and validation problems come together, in source order.
			file: "many.yaml",
			want: []Problem{
				{Pos: Pos{Line: 1, Column: 1}, Path: "apiVersion"},
				{Pos: Pos{Line: 2, Column: 1}, Path: "projct", Hint: `did you mean "project"?`},
				{Pos: Pos{Line: 7, Column: 13}, Path: "releases[0].needs[0]", Hint: `did you mean "api"?`},
				{Pos: Pos{Line: 8, Column: 19}, Path: "releases[0].valuesFiles[0]"},
				{Pos: Pos{Line: 10, Column: 5}, Path: "releases[1].namespace"},
				{Pos: Pos{Line: 11, Column: 5}, Path: "releases[1].chart"},
				{Pos: Pos{Line: 12, Column: 5}, Path: "releases[1].version"},
				{Pos: Pos{Line: 16, Column: 7}, Path: "environments.prod.releases.wb", Hint: `did you mean "web"?`},
			},
			count: 9, // and project is required
		},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".yaml"), func(t *testing.T) {
			file := filepath.Join("testdata", "load", tt.file)
			_, err := Load(file)
			var got Problems
			if !errors.As(err, &got) {
				t.Fatalf("Load(%s) = %v, want Problems", file, err)
			}
			if tt.count != 0 && len(got) != tt.count {
				t.Errorf("got %d problems, want %d:\n%v", len(got), tt.count, err)
			}
			for _, w := range tt.want {
				if !containsProblem(got, file, w) {
					t.Errorf("missing problem %+v in:\n%v", w, err)
				}
			}
			for i := 1; i < len(got); i++ {
				a, b := got[i-1].Pos, got[i].Pos
				if a.Line > b.Line || (a.Line == b.Line && a.Column > b.Column) {
					t.Errorf("problems out of source order: %v before %v", got[i-1], got[i])
				}
			}
		})
	}
}

// containsProblem reports whether got holds a problem in file that matches every field set in w.
func containsProblem(got Problems, file string, w Problem) bool {
	for _, g := range got {
		if g.Pos.File != file ||
			(w.Pos.Line != 0 && g.Pos.Line != w.Pos.Line) ||
			(w.Pos.Column != 0 && g.Pos.Column != w.Pos.Column) ||
			(w.Path != "" && g.Path != w.Path) ||
			(w.Message != "" && g.Message != w.Message) ||
			(w.Hint != "" && g.Hint != w.Hint) {
			continue
		}
		return true
	}
	return false
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "kaji.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file = %v, want an error wrapping fs.ErrNotExist", err)
	}
	var problems Problems
	if errors.As(err, &problems) {
		t.Errorf("Load of a missing file returned Problems; want a plain error")
	}
	if !strings.Contains(err.Error(), "kaji.yaml: file does not exist") || !strings.Contains(err.Error(), "pass -f") {
		t.Errorf("error %q should name the file and suggest -f", err)
	}
}

func TestLoadDirectory(t *testing.T) {
	dir := t.TempDir()
	content := "apiVersion: kaji.dev/v1alpha1\nproject: p\nreleases: []\n"
	if err := os.WriteFile(filepath.Join(dir, "kaji.yaml"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "kaji.yaml"); d.Path != want || d.Dir != dir {
		t.Errorf("Path, Dir = %s, %s; want %s, %s", d.Path, d.Dir, want, dir)
	}
}

// A values file that exists but cannot be opened is reported with the reason. A symlink to
// itself fails to open for everyone, root included (a file without read permission would not).
func TestLoadUnreadableValuesFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink("secret.yaml", filepath.Join(dir, "secret.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web", "Chart.yaml"), []byte("name: web\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	content := "apiVersion: kaji.dev/v1alpha1\nproject: p\nreleases:\n  - name: web\n    namespace: web\n    chart: ./web\n    valuesFiles: [secret.yaml]\n"
	if err := os.WriteFile(filepath.Join(dir, "kaji.yaml"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), `:7:19: releases[0].valuesFiles[0]: values file "secret.yaml" cannot be read: too many levels of symbolic links`) {
		t.Errorf("Load = %v, want the file:line of the values file and why it cannot be read", err)
	}
}
