package release_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/release/common"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env, testenv.WithWorkloads())) }

func manager(t *testing.T) *release.Manager {
	t.Helper()
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		t.Fatal(err)
	}
	return release.NewManager(conn, release.Options{Project: "test"})
}

func quickstartChart(t *testing.T, name string) *chartv2.Chart {
	t.Helper()
	ch, err := loader.Load(filepath.Join("..", "..", "examples", "quickstart", "charts", name))
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// A ConfigMap is ready at once. A Deployment becomes ready once its pods run on the fake node
// (wait_test.go), and never in a namespace that admits no pods (forbidPods).

func TestWaitPassesForObjectsReadyAtOnce(t *testing.T) {
	ns := env.Namespace(t)
	m := manager(t)
	res, err := m.Apply(t.Context(), release.Desired{Name: "cfg", Namespace: ns, Chart: quickstartChart(t, "settings"),
		Wait: true, Timeout: 30 * time.Second})
	if err != nil || res.Status != "deployed" {
		t.Fatalf("wait on a ConfigMap: %+v, %v", res, err)
	}
}

func TestWaitTimesOutAndRollsBack(t *testing.T) {
	ns := env.Namespace(t)
	forbidPods(t, ns)
	m := manager(t)
	app := quickstartChart(t, "app")

	// A failed install with rollback-on-failure is uninstalled.
	_, err := m.Apply(t.Context(), release.Desired{Name: "web", Namespace: ns, Chart: app,
		Wait: true, Timeout: 2 * time.Second, RollbackOnFailure: true})
	if err == nil {
		t.Fatal("waiting for a Deployment that can have no pods succeeded")
	}
	if got, err := m.Get(t.Context(), "web", ns); err != nil || got != nil {
		t.Fatalf("after a failed install with rollback: %v, %v; want no release", got, err)
	}

	// Install without waiting, then a failed upgrade rolls back to revision 1's state.
	if _, err := m.Apply(t.Context(), release.Desired{Name: "web", Namespace: ns, Chart: quickstartChart(t, "app")}); err != nil {
		t.Fatal(err)
	}
	_, err = m.Apply(t.Context(), release.Desired{Name: "web", Namespace: ns, Chart: quickstartChart(t, "app"),
		Values: map[string]any{"greeting": "new"}, Wait: true, Timeout: 2 * time.Second, RollbackOnFailure: true})
	if err == nil {
		t.Fatal("upgrade that cannot become ready succeeded")
	}
	got, err := m.Get(t.Context(), "web", ns)
	if err != nil || got == nil {
		t.Fatal(err)
	}
	// The rollback is revision 3 with revision 1's values. Its own wait fails here too, since
	// revision 1's Deployment can never be ready either.
	if got.Version != 3 || got.Config["greeting"] != nil {
		t.Errorf("after rollback: revision %d (%s: %q), config %v; want revision 3 rolling back to 1, without the new value",
			got.Version, got.Info.Status, got.Info.Description, got.Config)
	}

	// Without rollback a timed-out upgrade leaves a failed revision.
	_, err = m.Apply(t.Context(), release.Desired{Name: "web", Namespace: ns, Chart: quickstartChart(t, "app"),
		Values: map[string]any{"greeting": "newer"}, Wait: true, Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("err = %v", err)
	}
	if got, _ := m.Get(t.Context(), "web", ns); got.Info.Status != common.StatusFailed {
		t.Errorf("status %s, want failed", got.Info.Status)
	}
}

func TestUnlockMarksAPendingReleaseFailedAndUpgradeProceeds(t *testing.T) {
	ns := env.Namespace(t)
	m := manager(t)
	if _, err := m.Apply(t.Context(), release.Desired{Name: "cfg", Namespace: ns, Chart: quickstartChart(t, "settings")}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Unlock(t.Context(), "cfg", ns, time.Now()); err == nil {
		t.Fatal("unlocked a deployed release")
	}

	// What an interrupted upgrade leaves: the latest revision pending-upgrade in Helm's storage.
	stuck, err := m.Get(t.Context(), "cfg", ns)
	if err != nil {
		t.Fatal(err)
	}
	stuck.Version = 2
	stuck.SetStatus(common.StatusPendingUpgrade, "upgrade in progress")
	stuck.Info.LastDeployed = time.Now().Add(-time.Hour)
	if err := storeRelease(t, ns, stuck); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Apply(t.Context(), release.Desired{Name: "cfg", Namespace: ns, Chart: quickstartChart(t, "settings")}); err == nil ||
		!strings.Contains(err.Error(), "another operation") {
		t.Fatalf("upgrade of a pending release: %v, want Helm's 'another operation is in progress'", err)
	}

	u, err := m.Unlock(t.Context(), "cfg", ns, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if u.Revision != 2 || u.Was != "pending-upgrade" || u.Age < 59*time.Minute {
		t.Errorf("unlocked %+v", u)
	}
	res, err := m.Apply(t.Context(), release.Desired{Name: "cfg", Namespace: ns, Chart: quickstartChart(t, "settings")})
	if err != nil || res.Revision != 3 || res.Status != "deployed" {
		t.Fatalf("upgrade after unlock: %+v, %v", res, err)
	}
}
