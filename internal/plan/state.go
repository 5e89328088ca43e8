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
	// unplanned says that the release could not be planned: what apply would change is unknown.
	unplanned bool
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
// its history in storage and how the release apply would write compares with it. adopt says
// that apply may take over a release that is not the project's (--adopt, or adopt: true);
// without it such a release is unmanaged, with the action that adopting it would take, which
// the planner then blocks. This is the whole decision; everything else in the package gathers
// its inputs.
func decide(h history, project string, c comparison, adopt bool) (State, string, Action) {
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
		return decideUnmanaged(latest, owner, project, c, adopt)
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

// decideUnmanaged decides a release that is not the project's: owner made it (helm when
// empty). Taking it over is an adoption alone when its latest revision is deployed and in
// sync with kaji.yaml: apply labels that revision, without a new one. Otherwise adopting it
// upgrades it.
func decideUnmanaged(latest *rspb.Release, owner, project string, c comparison, adopt bool) (State, string, Action) {
	whose := "made by helm, not by kaji (no " + release.ProjectLabel + " label)"
	if owner != "" {
		whose = fmt.Sprintf("owned by kaji project %q", owner)
	}
	var causes []string
	if !c.unplanned {
		causes = c.causes()
		if len(causes) == 0 && len(c.drifted) > 0 {
			causes = []string{fmt.Sprintf("live objects differ from revision %d: %s", latest.Version, strings.Join(c.drifted, ", "))}
		}
		if st := statusOf(latest); st != common.StatusDeployed {
			causes = append(causes, fmt.Sprintf("revision %d is %s", latest.Version, st))
		}
	}
	inSync := !c.unplanned && len(causes) == 0
	action := ActionUpgrade
	if inSync {
		action = ActionAdopt
	}
	if !adopt {
		reason := fmt.Sprintf("%s; apply leaves it alone unless --adopt, or adopt: true on the release in kaji.yaml, takes it over into project %q", whose, project)
		switch {
		case inSync:
			reason += fmt.Sprintf("; it is in sync with kaji.yaml: adopting it labels revision %d, without a new revision", latest.Version)
		case len(causes) > 0:
			reason += "; it would also be upgraded: " + strings.Join(causes, ", ")
		}
		return StateUnmanaged, reason, action
	}
	if inSync {
		return StateUnmanaged, fmt.Sprintf("%s; in sync with kaji.yaml: apply labels revision %d as project %s's, without a new revision",
			whose, latest.Version, project), ActionAdopt
	}
	reason := fmt.Sprintf("%s; apply takes it over into project %q and upgrades it", whose, project)
	if len(causes) > 0 {
		reason += ": " + strings.Join(causes, ", ")
	}
	return StateUnmanaged, reason, ActionUpgrade
}

func pendingReason(r *rspb.Release) string {
	st := statusOf(r)
	fix := fmt.Sprintf("if nothing is working on it any more, `kaji unlock %s` gives it up", r.Name)
	if st == common.StatusUninstalling {
		fix = fmt.Sprintf("if it was interrupted, `helm uninstall %s -n %s` finishes it", r.Name, r.Namespace)
	}
	return fmt.Sprintf("revision %d is %s: an operation is running or was interrupted; %s", r.Version, st, fix)
}

// orphanReason says what an orphan is: a release that kaji.yaml does not declare, or that
// the environment leaves out (disabled says why, when it does).
func orphanReason(r *rspb.Release, disabled string) string {
	what := "not in kaji.yaml"
	if disabled != "" {
		what = "in kaji.yaml but " + disabled
	}
	return fmt.Sprintf("%s (revision %d, %s); apply leaves it", what, r.Version, statusOf(r))
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
