package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/cli"
)

// An upgrade to a chart version that no longer reads a key of kaji.yaml (metrics.enabled moved
// to metrics.serviceMonitor.enabled in 2.0.0) is an error in the plan, and apply refuses it
// without touching the release; --accept-dropped-keys, or acceptDroppedKeys in kaji.yaml,
// lets it go ahead.
func TestUpgradeThatDropsASetting(t *testing.T) {
	charts, err := filepath.Abs("testdata/dropped")
	if err != nil {
		t.Fatal(err)
	}
	p := &flagsProject{ns: env.Namespace(t), path: filepath.Join(t.TempDir(), "kaji.yaml"), charts: charts}
	p.write(t, "  - {name: web, namespace: NS, chart: CHARTS/metrics-1, values: {replicaCount: 2, metrics: {enabled: true}}}\n")
	if r := p.kaji(t, "", false, "apply", "--yes"); r.code != cli.ExitOK {
		t.Fatalf("apply of 1.0.0: exit %d\n%s%s", r.code, r.out, r.err)
	}

	p.write(t, "  - {name: web, namespace: NS, chart: CHARTS/metrics-2, values: {replicaCount: 2, metrics: {enabled: true}}}\n")
	r := p.kaji(t, "", false, "plan")
	for _, want := range []string{
		"x web (" + p.ns + "): refused: the upgrade to metrics 2.0.0 drops settings of kaji.yaml",
		"! error: metrics.enabled stops working in 2.0.0 (it worked in 1.0.0): the new chart does not use this key",
		"apply refuses it: the new chart ignores metrics.enabled, which the deployed chart reads",
		"1 refused (settings that upgrades drop)",
	} {
		if r.code != cli.ExitOK || !strings.Contains(r.out, want) {
			t.Errorf("plan lacks %q: exit %d\n%s%s", want, r.code, r.out, r.err)
		}
	}
	if strings.Contains(r.out, "replicaCount stops working") {
		t.Errorf("plan reports replicaCount, which both versions read:\n%s", r.out)
	}
	rel := planJSON(t, p)
	dropped, _ := rel["dropped"].([]any)
	if rel["action"] != "refused" || len(dropped) != 1 {
		t.Fatalf("plan -o json: action %v, dropped %v; want refused and one key", rel["action"], dropped)
	}
	d := dropped[0].(map[string]any)
	if path, _ := json.Marshal(d["path"]); string(path) != `["metrics","enabled"]` || d["severity"] != "error" ||
		d["accepted"] != false || d["kind"] != "unknown-key" || d["from"] != "1.0.0" || d["to"] != "2.0.0" {
		t.Errorf("dropped key in plan -o json: %v", d)
	}

	r = p.kaji(t, "", false, "apply", "--yes")
	if r.code != cli.ExitError {
		t.Errorf("apply of a refused upgrade: exit %d, want %d\n%s%s", r.code, cli.ExitError, r.out, r.err)
	}
	for _, want := range []string{
		"apply refuses to upgrade release " + p.ns + "/web, which would silently drop settings of kaji.yaml: metrics.enabled stops working in 2.0.0",
		"kaji apply --accept-dropped-keys", "acceptDroppedKeys: [metrics.enabled]",
	} {
		if !strings.Contains(r.out+r.err, want) {
			t.Errorf("apply output lacks %q:\n%s%s", want, r.out, r.err)
		}
	}
	if n := p.helmSecrets(t); n != 1 {
		t.Errorf("%d revisions after a refused apply, want 1", n)
	}

	if rel := planJSON(t, p, "--accept-dropped-keys"); rel["action"] != "upgrade" {
		t.Errorf("plan --accept-dropped-keys: action %v, want upgrade", rel["action"])
	}
	p.write(t, "  - {name: web, namespace: NS, chart: CHARTS/metrics-2, values: {replicaCount: 2, metrics: {enabled: true}}, acceptDroppedKeys: [metrics.enabled]}\n")
	rel = planJSON(t, p)
	dropped, _ = rel["dropped"].([]any)
	if rel["action"] != "upgrade" || len(dropped) != 1 || dropped[0].(map[string]any)["accepted"] != true {
		t.Errorf("plan with acceptDroppedKeys: action %v, dropped %v; want upgrade and one accepted key", rel["action"], dropped)
	}
	if r := p.kaji(t, "", false, "apply", "--yes"); r.code != cli.ExitOK {
		t.Fatalf("apply with acceptDroppedKeys: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if n := p.helmSecrets(t); n != 2 {
		t.Errorf("%d revisions after the accepted upgrade, want 2", n)
	}
	// Once 2.0.0 is deployed, nothing is dropped any more.
	if rel := planJSON(t, p); rel["dropped"] != nil || rel["state"] != "in-sync" {
		t.Errorf("plan after the upgrade: state %v, dropped %v; want in-sync and none", rel["state"], rel["dropped"])
	}
}
