package plan_test

import (
	"testing"

	"kaji.dev/kaji/internal/plan"
)

func TestScopeString(t *testing.T) {
	for _, c := range []struct {
		scope plan.Scope
		want  string
	}{
		{plan.Scope{}, ""},
		{plan.Scope{Names: []string{"web"}, Picked: []string{"web"}}, "releases: web"},
		{plan.Scope{Names: []string{"web", "api"}, Picked: []string{"api", "web"}, Needs: []string{"db"}}, "releases: api, web (+ needs: db)"},
		{plan.Scope{Selectors: []string{"team=x"}, Picked: []string{"a", "b"}, Needs: []string{"c"}}, "selection -l team=x: a, b (+ needs: c)"},
		{plan.Scope{Selectors: []string{"team=x", "tier=db"}, Names: []string{"z"}, SkipNeeds: true, Picked: []string{"a", "z"}}, "selection -l team=x -l tier=db z: a, z"},
	} {
		if got := c.scope.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.scope, got, c.want)
		}
	}
}
