package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// spreadApps writes a kaji.yaml of n releases of the quickstart app chart, each in its own
// namespace, the first with greeting first.
func spreadApps(t *testing.T, path, project string, namespaces []string, first string) {
	t.Helper()
	chart, err := filepath.Abs("../../examples/quickstart/charts/app")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kaji.dev/v1alpha1\nproject: %s\nreleases:\n", project)
	for i, ns := range namespaces {
		g := "v1"
		if i == 0 {
			g = first
		}
		fmt.Fprintf(&b, "  - {name: app%d, namespace: %s, chart: %s, values: {greeting: %s}}\n", i, ns, chart, g)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// An apply that changes one release of several costs less than one `helm upgrade` does, plus
// the plan's few lists and the lock: Helm's per-operation discovery, its client-side OpenAPI
// validation and a second read of the release's history are all gone, and so are the applies
// of the objects that do not change.
func TestOneChangeApplyCost(t *testing.T) {
	namespaces := []string{env.Namespace(t), env.Namespace(t), env.Namespace(t), env.Namespace(t)}
	path := filepath.Join(t.TempDir(), "kaji.yaml")
	spreadApps(t, path, namespaces[0], namespaces, "v1")
	if r := kaji(t, "", false, "apply", "-f", path, "--yes", "--kubeconfig", env.KubeconfigPath); r.code != 0 {
		t.Fatalf("first apply: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	spreadApps(t, path, namespaces[0], namespaces, "v2")
	before, err := env.RequestCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// A lease long enough that no renewal falls within the apply, however slow the machine.
	r := kaji(t, "", false, "apply", "-f", path, "--yes", "--kubeconfig", env.KubeconfigPath, "--lock-lease", "10m")
	after, err := env.RequestCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if r.code != 0 || !strings.Contains(r.out, "1 to upgrade") {
		t.Fatalf("apply of one change: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
	cost := after.Sub(before)
	cost["GET nonresource"]-- // the /metrics read of RequestCount itself
	for k, v := range cost {
		if strings.Contains(k, "events") || v == 0 {
			delete(cost, k) // the API server's own clients meanwhile
		}
	}
	t.Logf("requests of an apply of one change among 4 releases: %v (%v)", cost.Total(), cost)

	want := map[string]float64{
		// The plan's storage list and its orphans list; the upgrade's own read of history.
		"LIST secrets": 3,
		// The pending revision, then superseding the old one and recording the new.
		"POST secrets": 1, "PUT secrets": 2,
		// The plan: one list per kind across the namespaces, one dry run of the changed
		// ConfigMap; the upgrade: a get and an apply of the ConfigMap, and a get of each of
		// the objects that the plan found unchanged, to see that they still are.
		"LIST configmaps": 1, "LIST deployments.apps": 1, "LIST services": 1,
		"APPLY configmaps": 2, "GET configmaps": 1,
		"APPLY deployments.apps": 0, "GET deployments.apps": 1,
		"APPLY services": 0, "GET services": 1,
	}
	for k, n := range want {
		if cost[k] != n {
			t.Errorf("%s: %v requests, want %v", k, cost[k], n)
		}
	}
	// One discovery (/api and /apis, or fewer when cached) and nothing else off the resource
	// paths: no OpenAPI document, no discovery per operation.
	if n := cost["GET nonresource"]; n > 2 {
		t.Errorf("GET nonresource: %v requests, want at most the 2 of one discovery", n)
	}
	// The lock: a get and a take, a release.
	if n := cost["GET leases.coordination.k8s.io"] + cost["PUT leases.coordination.k8s.io"] + cost["POST leases.coordination.k8s.io"]; n > 4 {
		t.Errorf("the lock cost %v requests, want at most 4: %v", n, cost)
	}
}
