package release_test

import (
	"errors"
	"testing"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/release"
)

// Adoption labels the revision the plan saw only if its owner is still the one the plan saw:
// a release another project took over in between is not taken from it.
func TestAdoptRefusesAReleaseWhoseOwnerChanged(t *testing.T) {
	ns := env.Namespace(t)
	conn, err := cluster.Connect(cluster.Options{Kubeconfig: env.KubeconfigPath, Context: env.ContextName})
	if err != nil {
		t.Fatal(err)
	}
	other := release.NewManager(conn, release.Options{Project: "other"})
	if _, err := other.Apply(t.Context(), release.Desired{Name: "cfg", Namespace: ns, Chart: quickstartChart(t, "settings")}); err != nil {
		t.Fatal(err)
	}
	ours := release.NewManager(conn, release.Options{Project: "ours"})
	// The plan saw the release made by helm (no owner); "other" owns it now.
	var changed *release.ChangedError
	if _, err := ours.Adopt(t.Context(), "cfg", ns, 1, ""); !errors.As(err, &changed) {
		t.Fatalf("adopting a release whose owner changed since the plan: %v, want a *ChangedError", err)
	}
	if r, err := ours.Get(t.Context(), "cfg", ns); err != nil || r.Labels[release.ProjectLabel] != "other" {
		t.Fatalf("after the refusal the owner is %q (%v), want other", r.Labels[release.ProjectLabel], err)
	}
	// Planned as other's, it is taken over, without a new revision.
	res, err := ours.Adopt(t.Context(), "cfg", ns, 1, "other")
	if err != nil {
		t.Fatal(err)
	}
	r, err := ours.Get(t.Context(), "cfg", ns)
	if err != nil || r.Version != 1 || r.Labels[release.ProjectLabel] != "ours" || res.Action != release.Adopted {
		t.Errorf("after adoption: revision %d, owner %q, action %s (%v); want 1, ours, adopted", r.Version, r.Labels[release.ProjectLabel], res.Action, err)
	}
}
