package spec

import (
	"reflect"
	"testing"
)

// TestResolveIgnoreDifferences: the environment's entries come after the release's own, and
// its forceConflicts replaces the release's.
func TestResolveIgnoreDifferences(t *testing.T) {
	d, err := Load("testdata/valid/ignore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type rule struct {
		Group, Kind, Name string
		Paths             []string
	}
	rulesOf := func(r ResolvedRelease) []rule {
		var out []rule
		for _, ru := range r.Ignore {
			x := rule{Group: ru.Group, Kind: ru.Kind, Name: ru.Name}
			for _, p := range ru.Paths {
				x.Paths = append(x.Paths, p.String())
			}
			out = append(out, x)
		}
		return out
	}
	own := []rule{
		{Kind: "Deployment", Name: "web", Paths: []string{"/spec/replicas"}},
		{Group: "apps", Kind: "StatefulSet", Paths: []string{"/spec/replicas", "/metadata/annotations/example.com~1owner"}},
	}
	for _, tc := range []struct {
		env            string
		release        string
		forceConflicts bool
		rules          []rule
	}{
		{env: "", release: "web", forceConflicts: true, rules: own},
		{env: "", release: "api", forceConflicts: false},
		{env: "prod", release: "web", forceConflicts: false,
			rules: append(own, rule{Kind: "HorizontalPodAutoscaler", Paths: []string{"/spec/minReplicas"}})},
		{env: "prod", release: "api", forceConflicts: true},
	} {
		res, err := d.Resolve(tc.env)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.Releases {
			if r.Name != tc.release {
				continue
			}
			if r.ForceConflicts != tc.forceConflicts {
				t.Errorf("env %q, release %s: forceConflicts %v, want %v", tc.env, r.Name, r.ForceConflicts, tc.forceConflicts)
			}
			if got := rulesOf(r); !reflect.DeepEqual(got, tc.rules) {
				t.Errorf("env %q, release %s: rules\n got %+v\nwant %+v", tc.env, r.Name, got, tc.rules)
			}
			if tok := r.Ignore; len(tok) > 1 && tok[1].Paths[1].Tokens()[2] != "example.com/owner" {
				t.Errorf("~1 not unescaped: %q", tok[1].Paths[1].Tokens())
			}
		}
	}
}
