package apply_test

import (
	"context"
	"fmt"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/apply"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// rollbackLog records the rollbackOnFailure each release is applied with.
type rollbackLog struct {
	fakeReleases
	got map[string]bool
}

func (l *rollbackLog) Apply(ctx context.Context, d release.Desired) (release.Result, error) {
	l.mu.Lock()
	l.got[d.Name] = d.RollbackOnFailure
	l.mu.Unlock()
	return l.fakeReleases.Apply(ctx, d)
}

// A release's rollbackOnFailure wins over the runner's (--rollback-on-failure) both ways; a
// release without one follows the runner.
func TestRollbackOnFailurePerRelease(t *testing.T) {
	yes, no := true, false
	res := &spec.Resolved{Project: "p", Releases: []spec.ResolvedRelease{
		{Name: "on", Namespace: "ns", RollbackOnFailure: &yes},
		{Name: "off", Namespace: "ns", RollbackOnFailure: &no},
		{Name: "flag", Namespace: "ns"},
	}}
	loaded := &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "c", Version: "1.0.0"}}
	steps := map[string]apply.Step{}
	for _, r := range res.Releases {
		steps[r.Name] = apply.Step{Chart: loaded, Mode: release.ModeUpgrade}
	}
	for _, flag := range []bool{true, false} {
		t.Run(fmt.Sprintf("--rollback-on-failure=%t", flag), func(t *testing.T) {
			log := &rollbackLog{got: map[string]bool{}}
			rn := &apply.Runner{Releases: log, RollbackOnFailure: flag}
			if _, err := rn.ApplySteps(t.Context(), res, steps); err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{"on": true, "off": false, "flag": flag}
			for name, w := range want {
				if got, ok := log.got[name]; !ok || got != w {
					t.Errorf("%s applied with rollbackOnFailure %t (applied: %t), want %t", name, got, ok, w)
				}
			}
		})
	}
}
