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
		state  State
		action Action
		reason string
	}{
		{"absent", history{}, comparison{}, StateInstall, ActionInstall, "not installed"},
		{"uninstalled with history", historyOf(rev(1, common.StatusSuperseded, "p"), rev(2, common.StatusUninstalled, "p")), comparison{},
			StateInstall, ActionInstall, "uninstalled at revision 2"},
		{"in sync", historyOf(rev(1, common.StatusSuperseded, "p"), rev(2, common.StatusDeployed, "p")), comparison{},
			StateInSync, ActionNone, "revision 2"},
		{"values changed", historyOf(rev(1, common.StatusDeployed, "p")), comparison{values: true, manifest: true},
			StateUpgrade, ActionUpgrade, "values changed"},
		{"chart changed", historyOf(rev(1, common.StatusDeployed, "p")), comparison{chart: "app 0.1.0 → 0.2.0", manifest: true},
			StateUpgrade, ActionUpgrade, "chart app 0.1.0 → 0.2.0"},
		{"objects changed alone", historyOf(rev(1, common.StatusDeployed, "p")), comparison{manifest: true},
			StateUpgrade, ActionUpgrade, "rendered objects changed"},
		{"random chart", historyOf(rev(1, common.StatusDeployed, "p")), comparison{manifest: true, nondeterministic: true},
			StateUpgrade, ActionUpgrade, "renders differently each time"},
		{"drifted", historyOf(rev(3, common.StatusDeployed, "p")), comparison{drifted: []string{"Deployment.apps web (spec.replicas)"}},
			StateDrifted, ActionUpgrade, "live objects differ from revision 3: Deployment.apps web (spec.replicas)"},
		{"a change hides drift", historyOf(rev(3, common.StatusDeployed, "p")), comparison{values: true, drifted: []string{"x"}},
			StateUpgrade, ActionUpgrade, "values changed"},
		{"pending upgrade", historyOf(rev(1, common.StatusDeployed, "p"), rev(2, common.StatusPendingUpgrade, "p")), comparison{values: true},
			StatePending, ActionBlocked, "revision 2 is pending-upgrade: an operation is running or was interrupted; if nothing is working on it any more, `kaji unlock web` gives it up"},
		{"pending install", historyOf(rev(1, common.StatusPendingInstall, "p")), comparison{},
			StatePending, ActionBlocked, "kaji unlock web"},
		{"uninstalling", historyOf(rev(1, common.StatusUninstalling, "p")), comparison{},
			StatePending, ActionBlocked, "helm uninstall web -n apps"},
		{"pending is pending whoever owns it", historyOf(rev(1, common.StatusPendingRollback, "")), comparison{},
			StatePending, ActionBlocked, "pending-rollback"},
		{"failed", historyOf(rev(1, common.StatusDeployed, "p"), rev(2, common.StatusFailed, "p")), comparison{},
			StateFailed, ActionUpgrade, "revision 2 is failed: Upgrade complete; apply upgrades it"},
		{"unmanaged", historyOf(rev(1, common.StatusDeployed, "")), comparison{},
			StateUnmanaged, ActionUpgrade, `made by helm, not by kaji (no kaji.dev/project label); apply leaves it alone unless --adopt, which takes it over into project "p"`},
		{"another project's", historyOf(rev(1, common.StatusDeployed, "q")), comparison{values: true},
			StateUnmanaged, ActionUpgrade, `owned by kaji project "q"; apply leaves it alone unless --adopt, which takes it over into project "p"; it would also be upgraded: values changed`},
		{"unmanaged and failed", historyOf(rev(1, common.StatusFailed, "")), comparison{},
			StateUnmanaged, ActionUpgrade, "unless --adopt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			state, reason, action := decide(c.h, "p", c.cmp)
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
