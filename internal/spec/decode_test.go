package spec

import (
	"reflect"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
)

// TestValuesLikeHelm checks that inline values come out exactly as Helm reads the same text
// from a values file, number types and YAML 1.1 booleans included.
func TestValuesLikeHelm(t *testing.T) {
	d, err := Load("testdata/decode/values-types.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := d.File.Releases[0].Values

	// The same values, as a values file, read by Helm.
	want, err := common.ReadValues([]byte(strings.Join([]string{
		"int: 3",
		"big: 9007199254740993",
		"float: 0.5",
		"version: 1.10",
		`quoted: "3"`,
		"yes: yes",
		"off: off",
		"nothing: ~",
		"octal: 0o17",
		"list: [1, two, {three: 3}]",
		"1: one",
	}, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, map[string]any(want)) {
		t.Errorf("values differ from Helm's reading:\n got %#v\nwant %#v", got, want)
	}

	// And spelled out, so that a change in Helm shows up here too.
	for key, w := range map[string]any{
		"int":     float64(3),
		"big":     float64(9007199254740992),
		"float":   0.5,
		"version": 1.1,
		"quoted":  "3",
		"true":    true,
		"false":   false,
		"nothing": nil,
		"octal":   float64(15),
		"list":    []any{float64(1), "two", map[string]any{"three": float64(3)}},
		"1":       "one",
	} {
		if g, ok := got[key]; !ok || !reflect.DeepEqual(g, w) {
			t.Errorf("values[%q] = %#v (present: %v), want %#v", key, g, ok, w)
		}
	}

	// Typed string fields keep the text as written.
	if v := d.File.Releases[0].Version; v != "1.10" {
		t.Errorf("version = %q, want %q as written", v, "1.10")
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	d, err := Load("testdata/valid/anchors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	worker := d.File.Releases[1]
	if worker.Name != "worker" || worker.Namespace != "shop" || worker.Chart != "../charts/web" {
		t.Errorf("merged release = %+v, want name worker with namespace and chart from the anchor", worker)
	}
	wantValues := map[string]any{
		"resources": map[string]any{"limits": map[string]any{"cpu": "500m", "memory": "256Mi"}},
		"mode":      "worker", // written in the mapping, it wins over the merged api
		"tier":      "backend",
	}
	if !reflect.DeepEqual(worker.Values, wantValues) {
		t.Errorf("worker values = %#v, want %#v", worker.Values, wantValues)
	}
}

func TestPos(t *testing.T) {
	full, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	anchors, err := Load("testdata/valid/anchors.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc        *Document
		path       []any
		line, col  int
		wantExists bool
	}{
		{full, nil, 2, 1, true},
		{full, []any{"releases"}, 10, 1, true},
		{full, []any{"releases", 2}, 30, 5, true},
		{full, []any{"releases", 0, "needs", 1}, 14, 18, true},
		{full, []any{"releases", 1, "values", "controller", "replicaCount"}, 27, 9, true},
		{full, []any{"releases", 0, "values", "image", "tag"}, 20, 9, true},
		{full, []any{"environments", "prod", "releases", "web", "values", "replicaCount"}, 59, 11, true},
		{full, []any{"environments", "test", "cluster", "kubeContext"}, 43, 7, true},
		{full, []any{"repositories", "bitnami"}, 9, 3, true},
		// Missing paths fall back to the deepest node that exists.
		{full, []any{"releases", 0, "values", "nope"}, 17, 5, false},
		{full, []any{"releases", 9, "name"}, 10, 1, false},
		{full, []any{"releases", "name"}, 10, 1, false},
		{full, []any{"project", "deeper"}, 3, 1, false},
		// Merged keys are found where the anchor defines them; aliases are followed.
		{anchors, []any{"releases", 1, "chart"}, 7, 5, true},
		{anchors, []any{"releases", 1, "name"}, 17, 5, true},
		{anchors, []any{"releases", 1, "values", "resources", "limits", "cpu"}, 11, 11, true},
	}
	for _, tt := range tests {
		got, exists := tt.doc.Lookup(tt.path...)
		want := Pos{File: tt.doc.name, Line: tt.line, Column: tt.col}
		if got != want || exists != tt.wantExists {
			t.Errorf("Lookup(%v) = %v, %v; want %v, %v", tt.path, got, exists, want, tt.wantExists)
		}
		if p := tt.doc.Pos(tt.path...); p != want {
			t.Errorf("Pos(%v) = %v, want %v", tt.path, p, want)
		}
	}
}

func TestPathString(t *testing.T) {
	tests := []struct {
		p    path
		want string
	}{
		{path{"releases", 2, "needs", 0}, "releases[2].needs[0]"},
		{path{"environments", "prod", "releases", "web-app"}, "environments.prod.releases.web-app"},
		{path{"repositories", "my/repo"}, `repositories["my/repo"]`},
		{path{"environments", "a.b", "cluster"}, `environments["a.b"].cluster`},
		{path{}, ""},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("path%v.String() = %q, want %q", []any(tt.p), got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	fields := []string{"apiVersion", "project", "cluster", "repositories", "releases", "environments"}
	tests := []struct {
		word       string
		candidates []string
		want       string
	}{
		{"relases", fields, "releases"},
		{"Releases", fields, "releases"},
		{"RELEASES", fields, "releases"},
		{"apiversion", fields, "apiVersion"},
		{"porject", fields, "project"}, // transposition
		{"repos", fields, "repositories"},
		{"env", fields, "environments"},
		{"colour", fields, ""},
		{"x", fields, ""},
		{"releases", fields, ""}, // a valid name suggests nothing
		{"namspace", []string{"name", "namespace", "chart"}, "namespace"},
		{"valueFiles", []string{"values", "valuesFiles"}, "valuesFiles"},
		{"ap", []string{"api", "web"}, "api"},
		{"db", []string{"web", "api"}, ""},
	}
	for _, tt := range tests {
		if got := closest(tt.word, tt.candidates); got != tt.want {
			t.Errorf("closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}
