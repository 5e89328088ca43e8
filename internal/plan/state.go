package plan

import (
	"fmt"
	"strings"

	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"

	"kaji.dev/kaji/internal/release"
)

// history is what Helm's storage holds about one release name.
type history struct {
	// latest is the highest revision; nil when there is none.
	latest *rspb.Release
	// deployed is the highest deployed revision; nil when there is none.
	deployed *rspb.Release
	// stored counts the revisions.
	stored int
}

// add records one revision.
func (h *history) add(r *rspb.Release) {
	h.stored++
	if h.latest == nil || r.Version > h.latest.Version {
		h.latest = r
	}
	if r.Info != nil && r.Info.Status == common.StatusDeployed && (h.deployed == nil || r.Version > h.deployed.Version) {
		h.deployed = r
	}
}

// base is the revision an upgrade starts from, as Helm's upgrade picks it: the latest when it
// is deployed, else the latest deployed one, else the latest (failed or superseded). Its
// manifest says which objects the upgrade deletes.
func (h history) base() *rspb.Release {
	if h.deployed != nil && statusOf(h.latest) != common.StatusDeployed {
		return h.deployed
	}
	return h.latest
}

// installable reports whether apply installs rather than upgrades, as release.Manager decides.
func (h history) installable() bool {
	return h.latest == nil || statusOf(h.latest) == common.StatusUninstalled
}

func statusOf(r *rspb.Release) common.Status {
	if r == nil || r.Info == nil {
		return common.StatusUnknown
	}
	return r.Info.Status
}

// comparison is how the release that apply would write differs from the latest revision.
type comparison struct {
	// chart is "app 0.1.0 → 0.2.0" when the chart or its version changed, else empty.
	chart string
	// values says that the user-supplied values changed.
	values bool
	// manifest says that the rendered objects changed.
	manifest bool
	// nondeterministic says that the chart renders differently each time (random or clock
	// functions), so that every apply upgrades it.
	nondeterministic bool
	// crds says that CRDs of the chart's crds/ are to be created or changed (CRD mode apply).
	crds bool
	// drifted names the live objects that differ from what the release applied.
	drifted []string
}

func (c comparison) changed() bool { return c.chart != "" || c.values || c.manifest || c.crds }

// causes lists why an upgrade is due.
func (c comparison) causes() []string {
	var out []string
	if c.chart != "" {
		out = append(out, "chart "+c.chart)
	}
	if c.values {
		out = append(out, "values changed")
	}
	switch {
	case c.manifest && c.nondeterministic:
		out = append(out, "the chart renders differently each time (random or clock functions)")
	case c.manifest && c.chart == "" && !c.values:
		out = append(out, "rendered objects changed")
	}
	if c.crds {
		out = append(out, "CRDs changed")
	}
	return out
}

// decide returns the state of a declared release, why, and what apply does about it, from
// its history in storage and how the release apply would write compares with it. This is
// the whole decision; everything else in the package gathers its inputs.
func decide(h history, project string, c comparison) (State, string, Action) {
	latest := h.latest
	switch st := statusOf(latest); {
	case latest == nil:
		return StateInstall, "not installed", ActionInstall
	case st == common.StatusUninstalled:
		return StateInstall, fmt.Sprintf("uninstalled at revision %d; apply installs it again", latest.Version), ActionInstall
	case st.IsPending() || st == common.StatusUninstalling:
		return StatePending, pendingReason(latest), ActionBlocked
	}
	owner := latest.Labels[release.ProjectLabel]
	if owner != project {
		// Upgrade is what --adopt does; without it the planner blocks the release (Plan).
		reason := unmanagedReason(owner, project)
		if causes := c.causes(); len(causes) > 0 {
			reason += "; it would also be upgraded: " + strings.Join(causes, ", ")
		}
		return StateUnmanaged, reason, ActionUpgrade
	}
	if st := statusOf(latest); st != common.StatusDeployed && st != common.StatusSuperseded {
		reason := fmt.Sprintf("revision %d is %s", latest.Version, st)
		if latest.Info != nil && latest.Info.Description != "" {
			reason += ": " + latest.Info.Description
		}
		return StateFailed, reason + "; apply upgrades it", ActionUpgrade
	}
	if c.changed() {
		return StateUpgrade, strings.Join(c.causes(), ", "), ActionUpgrade
	}
	if len(c.drifted) > 0 {
		return StateDrifted, fmt.Sprintf("live objects differ from revision %d: %s", latest.Version, strings.Join(c.drifted, ", ")), ActionUpgrade
	}
	return StateInSync, fmt.Sprintf("revision %d", latest.Version), ActionNone
}

// unmanagedReason says whose a declared release is when it is not the project's, and how to
// take it over.
func unmanagedReason(owner, project string) string {
	why := "made by helm, not by kaji (no " + release.ProjectLabel + " label)"
	if owner != "" {
		why = fmt.Sprintf("owned by kaji project %q", owner)
	}
	return fmt.Sprintf("%s; apply leaves it alone unless --adopt, which takes it over into project %q", why, project)
}

func pendingReason(r *rspb.Release) string {
	st := statusOf(r)
	fix := fmt.Sprintf("if nothing is working on it any more, `kaji unlock %s` gives it up", r.Name)
	if st == common.StatusUninstalling {
		fix = fmt.Sprintf("if it was interrupted, `helm uninstall %s -n %s` finishes it", r.Name, r.Namespace)
	}
	return fmt.Sprintf("revision %d is %s: an operation is running or was interrupted; %s", r.Version, st, fix)
}

// orphanReason says what an orphan is.
func orphanReason(r *rspb.Release) string {
	return fmt.Sprintf("not in kaji.yaml (revision %d, %s); apply leaves it", r.Version, statusOf(r))
}

// revisionOf describes a stored release.
func revisionOf(r *rspb.Release) *Revision {
	if r == nil {
		return nil
	}
	rev := &Revision{Number: r.Version, Status: string(statusOf(r)), Project: r.Labels[release.ProjectLabel]}
	if r.Info != nil {
		rev.Updated = r.Info.LastDeployed
		rev.Description = r.Info.Description
	}
	if r.Chart != nil && r.Chart.Metadata != nil {
		rev.Chart = r.Chart.Metadata.Name
		rev.Version = r.Chart.Metadata.Version
	}
	return rev
}
