package secrets

import (
	"os"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

type refCase struct {
	In  string `json:"in"`
	Ref *struct {
		Backend      Backend  `json:"backend"`
		Name         string   `json:"name"`
		Region       string   `json:"region"`
		VersionStage string   `json:"versionStage"`
		VersionID    string   `json:"versionID"`
		Key          []string `json:"key"`
	} `json:"ref"`
	Err string `json:"err"`
}

func TestParse(t *testing.T) {
	data, err := os.ReadFile("testdata/refs.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cases []refCase
	if err := yaml.UnmarshalStrict(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.In, func(t *testing.T) {
			ref, ok, err := Parse(c.In)
			wantRef := c.Ref != nil || c.Err != ""
			if ok != wantRef {
				t.Fatalf("is a reference = %v, want %v", ok, wantRef)
			}
			if c.Err != "" {
				if err == nil || !strings.Contains(err.Error(), c.Err) {
					t.Fatalf("err = %v, want one containing %q", err, c.Err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Ref == nil {
				return
			}
			w := c.Ref
			if ref.Backend != w.Backend || ref.Name != w.Name || ref.Region != w.Region || ref.VersionStage != w.VersionStage ||
				ref.VersionID != w.VersionID || !slices.Equal(ref.Key, w.Key) || (w.Key == nil) != (ref.Key == nil) {
				t.Errorf("got %+v\nwant %+v", ref, *w)
			}
			if ref.Label() != c.In {
				t.Errorf("label %q, want the reference as written", ref.Label())
			}
		})
	}
}

func TestKeyPointerRoundTrip(t *testing.T) {
	for _, key := range [][]string{{"a"}, {"a/b", "c~d"}, {"0", "x"}} {
		ref, _, err := Parse("ref+awssecrets://s#" + Ref{Key: key}.KeyPointer())
		if err != nil || !slices.Equal(ref.Key, key) {
			t.Errorf("%v: got %v, %v", key, ref.Key, err)
		}
	}
	if p := (Ref{}).KeyPointer(); p != "" {
		t.Errorf("no key: %q", p)
	}
}
