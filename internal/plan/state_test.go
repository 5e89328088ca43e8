package plan

import (
	"kaji.dev/kaji/internal/suggest"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"

	"kaji.dev/kaji/internal/release"
)

func rev(version int, status common.Status, project string) *rspb.Release {
	r := &rspb.Release{Name: "web", Namespace: "apps", Version: version, Info: &rspb.Info{Status: status, Description: "Upgrade complete"}}
	if project != "" {
		r.Labels = map[string]string{release.ProjectLabel: project}
	}
	return r
}

func historyOf(revs ...*rspb.Release) history {
	var h history
	for _, r := range revs {
		h.add(r)
	}
	return h
}

func TestDecide(t *testing.T) {
	cases := []struct {
		name   string
		h      history
		cmp    comparison
		adopt  bool
		state  State
		action Action
		reason string
	}{
		{"absent", history{}, comparison{}, false, StateInstall, ActionInstall, "not installed"},
		{"uninstalled with history", historyOf(rev(1, common.StatusSuperseded, "p"), rev(2, common.StatusUninstalled, "p")), comparison{}, false,
			StateInstall, ActionInstall, "uninstalled at revision 2"},
		{"in sync", historyOf(rev(1, common.StatusSuperseded, "p"), rev(2, common.StatusDeployed, "p")), comparison{}, false,
			StateInSync, ActionNone, "revision 2"},
		{"values changed", historyOf(rev(1, common.StatusDeployed, "p")), comparison{values: true, manifest: true}, false,
			StateUpgrade, ActionUpgrade, "values changed"},
		{"chart changed", historyOf(rev(1, common.StatusDeployed, "p")), comparison{chart: "app 0.1.0 → 0.2.0", manifest: true}, false,
			StateUpgrade, ActionUpgrade, "chart app 0.1.0 → 0.2.0"},
		{"objects changed alone", historyOf(rev(1, common.StatusDeployed, "p")), comparison{manifest: true}, false,
			StateUpgrade, ActionUpgrade, "rendered objects changed"},
		{"random chart", historyOf(rev(1, common.StatusDeployed, "p")), comparison{manifest: true, nondeterministic: true}, false,
			StateUpgrade, ActionUpgrade, "renders differently each time"},
		{"drifted", historyOf(rev(3, common.StatusDeployed, "p")), comparison{drifted: []string{"Deployment.apps web (spec.replicas)"}}, false,
			StateDrifted, ActionUpgrade, "live objects differ from revision 3: Deployment.apps web (spec.replicas)"},
		{"a change hides drift", historyOf(rev(3, common.StatusDeployed, "p")), comparison{values: true, drifted: []string{"x"}}, false,
			StateUpgrade, ActionUpgrade, "values changed"},
		{"pending upgrade", historyOf(rev(1, common.StatusDeployed, "p"), rev(2, common.StatusPendingUpgrade, "p")), comparison{values: true}, false,
			StatePending, ActionBlocked, "revision 2 is pending-upgrade: an operation is running or was interrupted; if nothing is working on it any more, `kaji unlock web` gives it up"},
		{"pending install", historyOf(rev(1, common.StatusPendingInstall, "p")), comparison{}, false,
			StatePending, ActionBlocked, "kaji unlock web"},
		{"uninstalling", historyOf(rev(1, common.StatusUninstalling, "p")), comparison{}, false,
			StatePending, ActionBlocked, "helm uninstall web -n apps"},
		{"pending is pending whoever owns it", historyOf(rev(1, common.StatusPendingRollback, "")), comparison{}, false,
			StatePending, ActionBlocked, "pending-rollback"},
		{"failed", historyOf(rev(1, common.StatusDeployed, "p"), rev(2, common.StatusFailed, "p")), comparison{}, false,
			StateFailed, ActionUpgrade, "revision 2 is failed: Upgrade complete; apply upgrades it"},
		// Not the project's, and not to adopt: the action is what adopting it would do, which
		// the planner blocks.
		{"unmanaged in sync", historyOf(rev(1, common.StatusDeployed, "")), comparison{}, false,
			StateUnmanaged, ActionAdopt, `made by helm, not by kaji (no kaji.dev/project label); apply leaves it alone unless --adopt, or adopt: true on the release in kaji.yaml, takes it over into project "p"; it is in sync with kaji.yaml: adopting it labels revision 1, without a new revision`},
		{"another project's", historyOf(rev(1, common.StatusDeployed, "q")), comparison{values: true}, false,
			StateUnmanaged, ActionUpgrade, `owned by kaji project "q"; apply leaves it alone unless --adopt, or adopt: true on the release in kaji.yaml, takes it over into project "p"; it would also be upgraded: values changed`},
		{"unmanaged and failed", historyOf(rev(1, common.StatusFailed, "")), comparison{}, false,
			StateUnmanaged, ActionUpgrade, "unless --adopt"},
		{"unmanaged and not planned", historyOf(rev(1, common.StatusDeployed, "")), comparison{unplanned: true}, false,
			StateUnmanaged, ActionUpgrade, "unless --adopt"},
		// To adopt.
		{"adopt in sync", historyOf(rev(2, common.StatusSuperseded, ""), rev(3, common.StatusDeployed, "")), comparison{}, true,
			StateUnmanaged, ActionAdopt, `made by helm, not by kaji (no kaji.dev/project label); in sync with kaji.yaml: apply labels revision 3 as project p's, without a new revision`},
		{"adopt another project's in sync", historyOf(rev(1, common.StatusDeployed, "q")), comparison{}, true,
			StateUnmanaged, ActionAdopt, `owned by kaji project "q"; in sync with kaji.yaml: apply labels revision 1 as project p's, without a new revision`},
		{"adopt with changed values", historyOf(rev(1, common.StatusDeployed, "")), comparison{values: true}, true,
			StateUnmanaged, ActionUpgrade, `apply takes it over into project "p" and upgrades it: values changed`},
		{"adopt drifted", historyOf(rev(4, common.StatusDeployed, "q")), comparison{drifted: []string{"Deployment.apps web (spec.replicas)"}}, true,
			StateUnmanaged, ActionUpgrade, `upgrades it: live objects differ from revision 4: Deployment.apps web (spec.replicas)`},
		{"adopt failed", historyOf(rev(1, common.StatusDeployed, ""), rev(2, common.StatusFailed, "")), comparison{}, true,
			StateUnmanaged, ActionUpgrade, "upgrades it: revision 2 is failed"},
		{"adopt not planned", historyOf(rev(1, common.StatusDeployed, "")), comparison{unplanned: true}, true,
			StateUnmanaged, ActionUpgrade, `apply takes it over into project "p" and upgrades it`},
		{"adopt pending", historyOf(rev(1, common.StatusPendingInstall, "")), comparison{}, true,
			StatePending, ActionBlocked, "kaji unlock web"},
		{"adopt is nothing to the project's own", historyOf(rev(2, common.StatusDeployed, "p")), comparison{}, true,
			StateInSync, ActionNone, "revision 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			state, reason, action := decide(c.h, "p", c.cmp, c.adopt)
			if state != c.state || action != c.action || !strings.Contains(reason, c.reason) {
				t.Errorf("decide = %s, %s, %q; want %s, %s, a reason with %q", state, action, reason, c.state, c.action, c.reason)
			}
		})
	}
}

func TestBaseIsWhatHelmUpgradesFrom(t *testing.T) {
	deployed := rev(2, common.StatusDeployed, "p")
	if b := historyOf(rev(1, common.StatusSuperseded, "p"), deployed, rev(3, common.StatusFailed, "p")).base(); b != deployed {
		t.Errorf("after a failed upgrade, base is revision %d, want the deployed 2", b.Version)
	}
	failed := rev(1, common.StatusFailed, "p")
	if b := historyOf(failed).base(); b != failed {
		t.Errorf("after a failed install, base is %v, want the failed revision", b)
	}
}

func TestClosest(t *testing.T) {
	names := []string{"settings", "api", "web"}
	for word, want := range map[string]string{"setings": "settings", "wbe": "web", "Web": "web", "sett": "settings", "zzz": "", "ap": "api"} {
		if got := suggest.Closest(word, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", word, got, want)
		}
	}
}
