package validate

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/spec"
)

// TestRunProject validates testdata/project, whose release app sets keys in two values files,
// inline and in the prod environment, and whose release pinned asks its local chart for a
// version it does not have.
func TestRunProject(t *testing.T) {
	rep, err := Run(context.Background(), "testdata/project", "prod", Options{Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		sev        Severity
		code       Code
		release    string
		pos        string
		path       string
		message    string // prefix
		suggestion []string
		gate       []string
	}
	const dir = "testdata/project/"
	wants := []want{
		// A list item in a values file, found through the list.
		{Error, CodeSchema, "app", dir + "base.yaml:4:5", "env.0.value", "got number, want string (values.schema.json of chart app)", nil, nil},
		// A subchart's schema, at the user's key below the subchart's name.
		{Error, CodeSchema, "app", dir + "base.yaml:6:3", "sub.prot", "is not allowed", nil, nil},
		{Warning, CodeUnknownKey, "app", dir + "base.yaml:6:3", "sub.prot", "chart app/sub does not use this key", []string{"sub", "port"}, nil},
		// Nobody set sub.name: the release is pointed at.
		{Error, CodeSchema, "app", dir + "kaji.yaml:5:5", "sub.name", "is required (values.schema.json of chart sub)", nil, nil},
		{Warning, CodeUnknownKey, "app", dir + "kaji.yaml:10:7", "imgae", "chart app does not use this key", []string{"image"}, nil},
		// replicaCont is set in base.yaml and in the prod environment; the environment wins.
		{Warning, CodeUnknownKey, "app", dir + "kaji.yaml:23:11", "replicaCont", "chart app does not use this key", []string{"replicaCount"}, nil},
		{Info, CodeNoEffect, "app", dir + "over.yaml:2:3", "feature.level", "has no effect while feature.enabled is false", nil, []string{"feature", "enabled"}},
		{Error, CodeChart, "pinned", dir + "kaji.yaml:15:5", "", "load chart ", nil, nil},
	}
	if len(rep.Findings) != len(wants) {
		t.Errorf("%d findings, want %d", len(rep.Findings), len(wants))
	}
	for i, f := range rep.Findings {
		if i >= len(wants) {
			t.Errorf("extra finding: %+v", f)
			continue
		}
		w := wants[i]
		if f.Severity != w.sev || f.Code != w.code || f.Release != w.release || f.Pos.String() != w.pos ||
			KeyPath(f.Path) != w.path || !strings.HasPrefix(f.Message, w.message) ||
			!slices.Equal(f.Suggestion, w.suggestion) || !slices.Equal(f.Gate, w.gate) {
			t.Errorf("finding %d:\n got %s %s %s %s %s: %s %v %v\nwant %s %s %s %s %s: %s... %v %v", i,
				f.Severity, f.Code, f.Release, f.Pos, KeyPath(f.Path), f.Message, f.Suggestion, f.Gate,
				w.sev, w.code, w.release, w.pos, w.path, w.message, w.suggestion, w.gate)
		}
	}
	if !slices.Equal(rep.Releases, []string{"app", "pinned"}) || rep.Project != "test" || rep.Environment != "prod" {
		t.Errorf("report header: %q %q %q", rep.Releases, rep.Project, rep.Environment)
	}
	if !rep.HasErrors() || rep.Count(Error) != 4 || rep.Count(Warning) != 3 || rep.Count(Info) != 1 {
		t.Errorf("counts: %d errors, %d warnings, %d info", rep.Count(Error), rep.Count(Warning), rep.Count(Info))
	}
}

// TestRunWithoutEnvironment checks that the environment's keys are not checked without it:
// replicaCont is then reported in base.yaml, its only layer.
func TestRunWithoutEnvironment(t *testing.T) {
	rep, err := Run(context.Background(), "testdata/project/kaji.yaml", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		if f.Code == CodeUnknownKey && KeyPath(f.Path) == "replicaCont" {
			got = append(got, f.Pos.String())
		}
	}
	if want := []string{"testdata/project/base.yaml:1:1"}; !slices.Equal(got, want) {
		t.Errorf("replicaCont reported at %q, want %q", got, want)
	}
}

func TestRunStrict(t *testing.T) {
	rep, err := Run(context.Background(), "testdata/project", "prod", Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Code == CodeUnknownKey && f.Severity != Error {
			t.Errorf("unknown key %s is a %s under Strict", KeyPath(f.Path), f.Severity)
		}
		if f.Code == CodeNoEffect && f.Severity != Info {
			t.Errorf("key without effect %s is a %s under Strict", KeyPath(f.Path), f.Severity)
		}
	}
}

// TestRunIsDeterministic validates the same project many times, in parallel, and expects the
// same report every time.
func TestRunIsDeterministic(t *testing.T) {
	first, err := Run(context.Background(), "testdata/project", "prod", Options{Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := Run(context.Background(), "testdata/project", "prod", Options{Parallelism: 4})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("reports differ:\n%+v\n%+v", first.Findings, again.Findings)
		}
	}
}

// TestRunChecksTheDocumentGiven: a run that already read kaji.yaml passes it, and Run checks
// it without reading the file again (here, a path where no kaji.yaml is).
func TestRunChecksTheDocumentGiven(t *testing.T) {
	doc, err := spec.Load("testdata/project")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Run(context.Background(), "testdata/project", "prod", Options{Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Run(context.Background(), filepath.Join(t.TempDir(), "kaji.yaml"), "prod", Options{Parallelism: 2, Document: doc})
	if err != nil {
		t.Fatalf("run with the document given: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings differ:\n%+v\nwant\n%+v", got.Findings, want.Findings)
	}
}

func TestRunErrors(t *testing.T) {
	if _, err := Run(context.Background(), "testdata/project", "staging", Options{}); err == nil || !strings.Contains(err.Error(), `unknown environment "staging"`) {
		t.Errorf("unknown environment: %v", err)
	}
	if _, err := Run(context.Background(), "testdata/none.yaml", "", Options{}); err == nil || !strings.Contains(err.Error(), "pass -f") {
		t.Errorf("missing file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, "testdata/project", "", Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if _, err := Run(context.Background(), "testdata/project", "", Options{KubeVersion: "banana"}); err == nil {
		t.Error("a kube version that is not a version was accepted")
	}
}

func TestSpecFindings(t *testing.T) {
	ps := spec.Problems{
		{Pos: spec.Pos{File: "k.yaml", Line: 9, Column: 3}, Path: `releases[1].values["a.b"]`, Message: "bad", Hint: "fix it"},
		{Pos: spec.Pos{File: "k.yaml", Line: 2, Column: 1}, Path: "relases", Message: `unknown field "relases"`},
	}
	fs := specFindings(ps)
	sortFindings(fs, nil)
	if fs[0].Pos.Line != 2 || fs[1].Message != "bad (fix it)" || fs[0].Severity != Error || fs[0].Code != CodeSpec {
		t.Errorf("findings: %+v", fs)
	}
	if got, want := fs[1].Path, []string{"releases", "1", "values", "a.b"}; !slices.Equal(got, want) {
		t.Errorf("path %q, want %q", got, want)
	}
	if got, want := fs[1].PathString(), `releases[1].values["a.b"]`; got != want {
		t.Errorf("PathString %q, want %q", got, want)
	}
}

func TestFieldPathAndKeyPath(t *testing.T) {
	cases := []struct {
		field string
		segs  []string
	}{
		{"", nil},
		{"releases", []string{"releases"}},
		{"environments.prod.releases.web.values", []string{"environments", "prod", "releases", "web", "values"}},
		{`repositories["my.repo"]`, []string{"repositories", "my.repo"}},
		{`releases[0].needs[12]`, []string{"releases", "0", "needs", "12"}},
	}
	for _, c := range cases {
		if got := fieldPath(c.field); !slices.Equal(got, c.segs) {
			t.Errorf("fieldPath(%q) = %q, want %q", c.field, got, c.segs)
		}
	}
	if got, want := KeyPath([]string{"controller", "podAnnotations", "example.com/x", "y"}), `controller.podAnnotations["example.com/x"].y`; got != want {
		t.Errorf("KeyPath = %s, want %s", got, want)
	}
}

func TestSortFindings(t *testing.T) {
	fs := []Finding{
		{Release: "b", Pos: spec.Pos{File: "a.yaml", Line: 1}},
		{Release: "a", Pos: spec.Pos{File: "z.yaml", Line: 1}},
		{Release: "a", Pos: spec.Pos{File: "k.yaml", Line: 7, Column: 2}},
		{Release: "a", Pos: spec.Pos{File: "k.yaml", Line: 7, Column: 1}},
		{Release: "", Pos: spec.Pos{File: "k.yaml", Line: 30}},
	}
	// b comes before a in kaji.yaml.
	sortFindings(fs, map[string]int{"b": 0, "a": 1})
	var got []string
	for _, f := range fs {
		got = append(got, f.Release+" "+f.Pos.String())
	}
	want := []string{" k.yaml:30", "b a.yaml:1", "a k.yaml:7:1", "a k.yaml:7:2", "a z.yaml:1"}
	if !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
}

func TestDisplayPath(t *testing.T) {
	doc, err := spec.Load("testdata/project")
	if err != nil {
		t.Fatal(err)
	}
	v := &validator{doc: doc, docName: doc.Pos().File}
	cases := map[string]string{
		filepath.Join(doc.Dir, "values", "web.yaml"): "testdata/project/values/web.yaml",
		filepath.Join(doc.Dir, "..", "shared.yaml"):  filepath.Join(filepath.Dir(doc.Dir), "shared.yaml"),
	}
	for abs, want := range cases {
		if got := v.displayPath(abs); got != want {
			t.Errorf("displayPath(%s) = %s, want %s", abs, got, want)
		}
	}
}
