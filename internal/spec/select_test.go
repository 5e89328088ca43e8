package spec

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"
)

func TestSelect(t *testing.T) {
	d, err := Load("testdata/valid/labels.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(res.Releases); got != "db cache api web admin metrics" {
		t.Fatalf("resolved order %q; the cases below assume db cache api web admin metrics", got)
	}
	tests := []struct {
		name       string
		names      []string
		selectors  []string
		skipNeeds  bool
		dependents bool
		want       string
	}{
		{name: "nothing picked is everything", want: "db cache api web admin metrics"},
		{name: "a name and what it needs, transitively", names: []string{"web"}, want: "db cache api web"},
		{name: "skip needs", names: []string{"web"}, skipNeeds: true, want: "web"},
		{name: "names in any order come out in dependency order", names: []string{"admin", "cache"}, want: "db cache admin"},
		{name: "a release with no needs", names: []string{"metrics"}, want: "metrics"},
		{name: "a name given twice", names: []string{"db", "db"}, want: "db"},
		{name: "equality", selectors: []string{"team=payments"}, want: "db cache api web"},
		{name: "equality, skip needs", selectors: []string{"team=payments"}, skipNeeds: true, want: "api web"},
		{name: "inequality includes releases without the label", selectors: []string{"team!=payments"}, skipNeeds: true, want: "db cache admin metrics"},
		{name: "existence", selectors: []string{"tier"}, skipNeeds: true, want: "db cache api web"},
		{name: "absence", selectors: []string{"!team"}, want: "metrics"},
		{name: "set", selectors: []string{"tier in (db,cache)"}, want: "db cache"},
		{name: "every requirement of a selector holds", selectors: []string{"team=payments,tier=backend"}, skipNeeds: true, want: "api"},
		{name: "a prefixed key", selectors: []string{"example.com/owner=alice"}, skipNeeds: true, want: "api"},
		{name: "any of several selectors", selectors: []string{"team=ops", "tier=cache"}, skipNeeds: true, want: "cache admin"},
		{name: "names and selectors add up", names: []string{"metrics"}, selectors: []string{"tier=db"}, want: "db metrics"},
		{name: "dependents, transitively", names: []string{"db"}, dependents: true, want: "db api web admin"},
		{name: "dependents of a shared need", names: []string{"cache"}, dependents: true, want: "cache api web"},
		{name: "nothing depends on the last", names: []string{"web"}, dependents: true, want: "web"},
		{name: "dependents, skipped", names: []string{"db"}, dependents: true, skipNeeds: true, want: "db"},
		{name: "dependents of a selector", selectors: []string{"team=data"}, dependents: true, want: "db api web admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Selection{Names: tt.names, SkipNeeds: tt.skipNeeds, Dependents: tt.dependents}
			for _, text := range tt.selectors {
				sel, err := ParseSelector(text)
				if err != nil {
					t.Fatal(err)
				}
				s.Selectors = append(s.Selectors, sel)
			}
			got, err := res.Select(s)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("Select = %q, want %q", strings.Join(got, " "), tt.want)
			}
			if only := names(res.Only(got).Releases); only != tt.want {
				t.Errorf("Only(Select) keeps %q, want %q", only, tt.want)
			}
		})
	}
}

func TestSelectErrors(t *testing.T) {
	d, err := Load("testdata/valid/labels.yaml")
	if err != nil {
		t.Fatal(err)
	}
	all, err := d.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	inTest, err := d.Resolve("test")
	if err != nil {
		t.Fatal(err)
	}
	mustParse := func(s string) labels.Selector {
		sel, err := ParseSelector(s)
		if err != nil {
			t.Fatal(err)
		}
		return sel
	}
	tests := []struct {
		name string
		res  *Resolved
		sel  Selection
		want string
	}{
		{"misspelt name", all, Selection{Names: []string{"wbe"}}, `kaji.yaml declares no release "wbe" (did you mean "web"?)`},
		{"unknown name", all, Selection{Names: []string{"web", "frontend"}}, `kaji.yaml declares no release "frontend"`},
		{"disabled in kaji.yaml", all, Selection{Names: []string{"debug"}}, `release "debug" is disabled (enabled: false at testdata/valid/labels.yaml:34:5): there is nothing to do with it`},
		{"disabled in the environment", inTest, Selection{Names: []string{"admin"}}, `release "admin" is disabled in environment "test"`},
		{"selector matching nothing", all, Selection{Selectors: []labels.Selector{mustParse("team=nobody")}},
			`selector "team=nobody" matches no release; the labels of kaji.yaml are example.com/owner=alice, team=data, team=ops, team=payments, team=platform, tier=backend, tier=cache, tier=db, tier=frontend`},
		{"selector matching a disabled release", all, Selection{Selectors: []labels.Selector{mustParse("team=qa")}},
			`selector "team=qa" matches no release: it matches only debug, which this environment leaves out`},
		{"one selector of two matching nothing", inTest, Selection{Selectors: []labels.Selector{mustParse("team=payments"), mustParse("team=ops")}},
			`selector "team=ops" matches no release: it matches only admin, which this environment leaves out`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.res.Select(tt.sel)
			if err == nil {
				t.Fatalf("Select = %q, want an error", got)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n  %v\nwant it to start with:\n  %s", err, tt.want)
			}
			var unknown *UnknownReleaseError
			var noMatch *NoMatchError
			if !errors.As(err, &unknown) && !errors.As(err, &noMatch) {
				t.Errorf("error %T is neither an *UnknownReleaseError nor a *NoMatchError", err)
			}
		})
	}
}

func TestSelectWithoutLabels(t *testing.T) {
	res, err := writeSpec(t, "a", "b: a").Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	sel, err := ParseSelector("team=a")
	if err != nil {
		t.Fatal(err)
	}
	_, err = res.Select(Selection{Selectors: []labels.Selector{sel}})
	if err == nil || !strings.Contains(err.Error(), "no release of kaji.yaml has labels; give releases labels: {key: value}") {
		t.Errorf("selector over a file without labels: %v", err)
	}
}

func TestParseSelector(t *testing.T) {
	valid := []struct{ in, want string }{
		{"team=a", "team=a"},
		{"team==a", "team==a"},
		{"team = a", "team=a"},
		{"team!=a", "team!=a"},
		{"team", "team"},
		{"!team", "!team"},
		{"team=a,tier", "team=a,tier"},
		{"tier notin (db,cache)", "tier notin (cache,db)"},
		{"example.com/owner=alice", "example.com/owner=alice"},
	}
	for _, v := range valid {
		sel, err := ParseSelector(v.in)
		if err != nil {
			t.Errorf("ParseSelector(%q): %v", v.in, err)
			continue
		}
		if sel.String() != v.want {
			t.Errorf("ParseSelector(%q) = %q, want %q", v.in, sel.String(), v.want)
		}
	}
	invalid := []struct{ in, want string }{
		{"", "empty selector"},
		{"  ", "empty selector"},
		{"=a", `invalid selector "=a"`},
		{"team=a,", `invalid selector "team=a,"`},
		{"team=a b", `invalid selector "team=a b"`},
		{"team in a", `invalid selector "team in a"`},
		{"Bad Key=x", `invalid selector "Bad Key=x"`},
		{"team=a=b", `invalid selector "team=a=b"`},
	}
	for _, v := range invalid {
		_, err := ParseSelector(v.in)
		if err == nil || !strings.Contains(err.Error(), v.want) || !strings.Contains(err.Error(), "key=value") {
			t.Errorf("ParseSelector(%q) = %v, want an error containing %q and saying what to write", v.in, err, v.want)
		}
	}
}
