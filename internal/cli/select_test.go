package cli_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/cli"
)

// selectReleases has two teams' releases; web needs cache, which another team runs.
const selectReleases = `
releases:
  - name: cache
    namespace: NS1
    chart: CHARTS/app
    labels: {team: platform}
  - name: web
    namespace: NS2
    chart: CHARTS/app
    needs: [cache]
    labels: {team: shop, tier: front}
  - name: admin
    namespace: NS2
    chart: CHARTS/app
    labels: {team: shop}
  - name: batch
    namespace: NS1
    chart: CHARTS/app
    labels: {team: platform}
`

// planNames runs plan -o json and returns the names of the releases it planned.
func planNames(t *testing.T, flags []string, args ...string) []string {
	t.Helper()
	r := kaji(t, "", false, append(append([]string{"plan", "-o", "json"}, args...), flags...)...)
	if r.code != cli.ExitOK {
		t.Fatalf("plan %v: exit %d\n%s%s", args, r.code, r.out, r.err)
	}
	var doc struct {
		Releases []struct{ Name string } `json:"releases"`
	}
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("plan %v -o json: %v\n%s", args, err, r.out)
	}
	var names []string
	for _, rel := range doc.Releases {
		names = append(names, rel.Name)
	}
	return names
}

// eventOrder runs a command with -o json and returns its events as "event release" lines.
func eventOrder(t *testing.T, flags []string, args ...string) []string {
	t.Helper()
	r := kaji(t, "", false, append(append(args, "--yes", "-o", "json"), flags...)...)
	if r.code != cli.ExitOK {
		t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.out, r.err)
	}
	var events []string
	for line := range strings.Lines(r.out) {
		var e struct{ Event, Release string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%v: event %q: %v", args, line, err)
		}
		if e.Release != "" {
			events = append(events, e.Event+" "+e.Release)
		}
	}
	return events
}

// before reports whether a comes before b in events, both being there.
func before(events []string, a, b string) bool {
	i, j := slices.Index(events, a), slices.Index(events, b)
	return i >= 0 && j >= 0 && i < j
}

func TestSelectReleases(t *testing.T) {
	flags, ns1, ns2 := planProject(t, "select", selectReleases)
	stores := map[string]string{"cache": ns1, "batch": ns1, "web": ns2, "admin": ns2}
	installed := func() []string {
		t.Helper()
		var out []string
		for _, name := range []string{"cache", "web", "admin", "batch"} {
			if latest(t, helmStore(env, stores[name]), name) != (revision{}) {
				out = append(out, name)
			}
		}
		return out
	}

	// Mistakes in the selection stop before anything is done.
	usage := []struct {
		args []string
		want string
	}{
		{[]string{"apply", "wbe", "--yes"}, `kaji.yaml declares no release "wbe" (did you mean "web"?)`},
		{[]string{"destroy", "cahce", "--yes"}, `kaji.yaml declares no release "cahce" (did you mean "cache"?)`},
		{[]string{"status", "nothing"}, `kaji.yaml declares no release "nothing"`},
		{[]string{"apply", "web", "--prune", "--yes"}, "--prune works on the whole project, and cannot be combined with release names or -l"},
		{[]string{"plan", "-l", "team=shop", "--prune"}, "--prune works on the whole project"},
		{[]string{"plan", "-l", "=shop"}, `-l: invalid selector "=shop"`},
		{[]string{"apply", "-l", "team=nobody", "--yes"}, `selector "team=nobody" matches no release; the labels of kaji.yaml are team=platform, team=shop, tier=front`},
	}
	for _, u := range usage {
		r := kaji(t, "", false, append(u.args, flags...)...)
		if r.code != cli.ExitError || !strings.Contains(r.err, u.want) || !strings.Contains(r.err, "run 'kaji --help' for usage") {
			t.Errorf("%v: exit %d, stderr:\n%s\nwant a usage error containing %q", u.args, r.code, r.err, u.want)
		}
	}
	if got := installed(); len(got) > 0 {
		t.Fatalf("after the mistakes, installed: %v", got)
	}

	// plan: a selector picks the team's releases and what they need; --skip-needs leaves
	// those out; names add to selectors.
	if got := planNames(t, flags, "-l", "team=shop"); !slices.Equal(got, []string{"cache", "web", "admin"}) {
		t.Errorf("plan -l team=shop planned %v, want cache web admin", got)
	}
	if got := planNames(t, flags, "-l", "team=shop", "--skip-needs"); !slices.Equal(got, []string{"web", "admin"}) {
		t.Errorf("plan -l team=shop --skip-needs planned %v, want web admin", got)
	}
	if got := planNames(t, flags, "batch", "-l", "tier=front", "--skip-needs"); !slices.Equal(got, []string{"web", "batch"}) {
		t.Errorf("plan batch -l tier=front --skip-needs planned %v, want web batch", got)
	}
	if got := planNames(t, flags, "--release", "web"); !slices.Equal(got, []string{"cache", "web"}) {
		t.Errorf("plan --release web planned %v, want cache web", got)
	}
	// The heading says what was selected, in text and in Markdown.
	for _, c := range []struct{ args []string }{{[]string{"plan", "-l", "team=shop"}}, {[]string{"plan", "-l", "team=shop", "-o", "markdown"}}} {
		r := kaji(t, "", false, append(c.args, flags...)...)
		head, _, _ := strings.Cut(strings.TrimPrefix(r.out, "<!--"), "\n\n")
		if !strings.Contains(head, ", selection -l team=shop: web, admin (+ needs: cache)") {
			t.Errorf("%v: the heading does not say the selection:\n%s", c.args, r.out)
		}
	}
	if r := kaji(t, "", false, append([]string{"plan"}, flags...)...); strings.Contains(r.out, "selection") || strings.Contains(r.out, "releases:") {
		t.Errorf("plan of the whole project speaks of a selection:\n%s", r.out)
	}

	// apply web: cache first, then web, and nothing else.
	events := eventOrder(t, flags, "apply", "web")
	if !before(events, "succeeded cache", "started web") || slices.ContainsFunc(events, func(e string) bool {
		return strings.HasSuffix(e, " admin") || strings.HasSuffix(e, " batch")
	}) {
		t.Errorf("apply web events: %v; want cache to succeed before web starts, and no other release", events)
	}
	if got := installed(); !slices.Equal(got, []string{"cache", "web"}) {
		t.Fatalf("after apply web, installed: %v, want cache web", got)
	}

	// status web: the rows of web and what it needs.
	r := kaji(t, "", false, append([]string{"status", "web", "-o", "json"}, flags...)...)
	var st struct {
		Releases []struct{ Name string } `json:"releases"`
	}
	if err := json.Unmarshal([]byte(r.out), &st); r.code != cli.ExitOK || err != nil || len(st.Releases) != 2 ||
		st.Releases[0].Name != "cache" || st.Releases[1].Name != "web" {
		t.Errorf("status web: exit %d, %v\n%s%s", r.code, err, r.out, r.err)
	}

	// destroy cache: web, which needs it, goes first; admin and batch are left alone.
	if r := kaji(t, "", false, append([]string{"apply", "--yes"}, flags...)...); r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	events = eventOrder(t, flags, "destroy", "cache")
	if !before(events, "succeeded web", "started cache") || slices.ContainsFunc(events, func(e string) bool {
		return strings.HasSuffix(e, " admin") || strings.HasSuffix(e, " batch")
	}) {
		t.Errorf("destroy cache events: %v; want web uninstalled before cache starts, and no other release", events)
	}
	if got := installed(); !slices.Equal(got, []string{"admin", "batch"}) {
		t.Fatalf("after destroy cache, installed: %v, want admin batch", got)
	}

	// destroy with --skip-needs takes only what it names, even when something needs it.
	if r := kaji(t, "", false, append([]string{"apply", "--yes", "web"}, flags...)...); r.code != cli.ExitOK {
		t.Fatalf("apply web: exit %d\n%s%s", r.code, r.out, r.err)
	}
	events = eventOrder(t, flags, "destroy", "-l", "team=platform", "--skip-needs")
	if !slices.Contains(events, "succeeded cache") || !slices.Contains(events, "succeeded batch") || slices.ContainsFunc(events, func(e string) bool {
		return strings.HasSuffix(e, " web") || strings.HasSuffix(e, " admin")
	}) {
		t.Errorf("destroy -l team=platform --skip-needs events: %v; want cache and batch only", events)
	}
	if got := installed(); !slices.Equal(got, []string{"web", "admin"}) {
		t.Errorf("after destroy -l team=platform --skip-needs, installed: %v, want web admin", got)
	}
}

// TestSelectQuickstart plans the quickstart's releases by the labels it shows.
func TestSelectQuickstart(t *testing.T) {
	env.Require(t)
	path, _, _ := quickstart(t)
	flags := []string{"-f", path, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName}
	if got := planNames(t, flags, "-l", "tier=apps"); !slices.Equal(got, []string{"settings", "api", "web"}) {
		t.Errorf("plan -l tier=apps planned %v, want settings api web", got)
	}
	if got := planNames(t, flags, "-l", "tier=apps", "--skip-needs"); !slices.Equal(got, []string{"api", "web"}) {
		t.Errorf("plan -l tier=apps --skip-needs planned %v, want api web", got)
	}
}
