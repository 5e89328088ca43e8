package plan

import (
	"errors"
	"fmt"
	"strings"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/lock"
)

// State is where a release stands against kaji.yaml.
type State string

const (
	// StateInstall: the release is not in the cluster, or only its uninstalled history is.
	StateInstall State = "install"
	// StateUpgrade: the chart, its version, the values or the rendered objects changed.
	StateUpgrade State = "upgrade"
	// StateInSync: the release and its live objects are what kaji.yaml asks for.
	StateInSync State = "in-sync"
	// StateDrifted: kaji.yaml did not change, but live objects differ from what the release
	// applied (edited, scaled or deleted by hand).
	StateDrifted State = "drifted"
	// StatePending: the latest revision is pending-install, pending-upgrade or
	// pending-rollback; Helm refuses to touch the release until that is resolved.
	StatePending State = "pending"
	// StateFailed: the latest revision failed.
	StateFailed State = "failed"
	// StateOrphan: a release of the project that kaji.yaml no longer declares.
	StateOrphan State = "orphan"
	// StateUnmanaged: a release of that name exists, but kaji did not make it for this project.
	StateUnmanaged State = "unmanaged"
)

// Action is what apply does to a release.
type Action string

const (
	// ActionNone: nothing (in sync, or an orphan, which only prune would uninstall).
	ActionNone Action = "none"
	// ActionInstall: helm install.
	ActionInstall Action = "install"
	// ActionUpgrade: helm upgrade, which also repairs drift, retries a failed revision and
	// adopts an unmanaged release that is not in sync.
	ActionUpgrade Action = "upgrade"
	// ActionAdopt: apply takes over an unmanaged release that is in sync with kaji.yaml (with
	// --adopt, or adopt: true on the release) by labelling its latest revision as the
	// project's, in Helm's storage, without a new revision.
	ActionAdopt Action = "adopt"
	// ActionBlocked: apply cannot act until the pending operation is resolved.
	ActionBlocked Action = "blocked"
	// ActionUninstall: helm uninstall of an orphan, with --prune.
	ActionUninstall Action = "uninstall"
	// ActionRefused: apply refuses the release, which it would otherwise upgrade or install:
	// fields it would change are owned by field managers other than helm and kubectl (see
	// Release.Refused), and neither --force-conflicts nor forceConflicts: true says to take
	// them; or the upgrade drops settings of kaji.yaml that nobody accepted (see
	// Release.Unaccepted).
	ActionRefused Action = "refused"
)

// Plan is what apply would do to every release of a kaji.yaml.
type Plan struct {
	Project     string
	Environment string
	// Time is when the plan was made; ages are relative to it.
	Time time.Time
	// Scope is the part of kaji.yaml planned, as the command line picked it; the zero value
	// is the whole project.
	Scope Scope
	// Releases are in needs order, as apply handles them, followed by orphans.
	Releases []Release
	// Lock is who holds the project lock, which apply takes while it runs; nil when nobody
	// does, or when the planner was not asked to look (Planner.Locks).
	Lock *lock.Holder
	// Warnings concern the whole plan, such as orphans that could not be looked for.
	Warnings []string
}

// Release is the plan of one release.
type Release struct {
	Name      string
	Namespace string
	State     State
	// Reason says why the release is in its state, lowercase.
	Reason string
	Action Action
	// ForceConflicts says that apply takes over fields that other field managers own
	// (server-side apply with force): set when a dry run met conflicts that apply may take,
	// those of kubectl (drift by hand) or all of them when told to (Options.ForceConflicts,
	// the release's forceConflicts).
	ForceConflicts bool
	// Recover says that the latest revision is pending because a kaji run stopped in the middle
	// of it (see Options.Recover): apply marks it failed first, as `kaji unlock` would, then
	// upgrades the release. State and Action are those of a failed revision.
	Recover bool
	// Chart and Version are what kaji.yaml asks for, as loaded; empty for orphans.
	Chart   string
	Version string
	// Revision is the revision apply would write; zero when it writes none.
	Revision int
	// Current is the latest revision in Helm's storage; nil when there is none.
	Current *Revision
	// Deployed is the highest revision whose status is deployed: what runs, when Current
	// failed or is pending. It is nil when no revision is deployed.
	Deployed *Revision
	// Stored is how many revisions of the release Helm's storage holds.
	Stored int
	// Changes are the release's objects: what apply would create, update or delete, and
	// those it leaves unchanged. Deletions come last.
	Changes []ObjectChange
	// Hooks are the chart's hooks that apply would run (pre- and post-install, or pre- and
	// post-upgrade). The plan does not dry-run them.
	Hooks []Hook
	// Warnings are things apply will not do, such as upgrading CRDs.
	Warnings []string
	// Ignored are the fields that the release's ignoreDifferences left out: of the objects the
	// chart renders, which apply does not send, and of the live objects, which the plan does
	// not compare.
	Ignored []IgnoredField
	// Dropped are the settings of kaji.yaml that the change of chart version drops: the
	// deployed version reads them and the new one ignores them. Those not accepted make apply
	// refuse the release (ActionRefused).
	Dropped []DroppedKey
	// Err is why the release could not be planned (a chart that does not load or render);
	// apply would fail on it too.
	Err error

	// Loaded and Values are the chart and merged user values the plan rendered. Apply should
	// install exactly these, so that it does what the plan showed.
	Loaded *chartv2.Chart
	Values map[string]any
	// Fingerprint is what the plan of the release was computed from, as digests; set only
	// when the plan was asked for it (Options.Fingerprint).
	Fingerprint Fingerprint
	// Inputs is a digest of everything the release renders from: chart, values (secrets as
	// their origin and version), capabilities, name, namespace, ignoreDifferences and the
	// Helm SDK. Apply labels the revision it writes with it (InputsLabel), and a later plan
	// that finds the same inputs on the deployed latest revision takes its manifest without
	// rendering the chart again. Empty when the chart did not load.
	Inputs string
	// Lookups lists the calls of the lookup function that rendering the chart made, with a
	// digest of each answer, as JSON (the value of release.LookupsAnnotation): apply writes
	// it onto the revision, and a later plan that gets the same answers takes that revision's
	// manifest as it does for a chart without lookup. Empty when nothing in the chart or the
	// values calls lookup, or when a call failed.
	Lookups string
	// RecordLookups says that the release is in sync although the plan rendered it: its
	// latest revision, written from the same inputs, records other lookups than the render
	// made, or none (a chart that looked up an object it creates, say). The render matched
	// that revision, so Lookups describes it: an apply that changes other releases records
	// them on it, and later plans take its manifest without rendering.
	RecordLookups bool
}

// Revision is one release record of Helm's storage.
type Revision struct {
	Number      int
	Status      string
	Chart       string
	Version     string
	Updated     time.Time
	Description string
	// Project is the release's kaji.dev/project label; empty when it has none.
	Project string
}

// Hook is a hook that apply would run.
type Hook struct {
	Kind string
	Name string
	// Events are the hook's events that this apply fires, such as "pre-upgrade".
	Events []string
}

// ObjectRef names a Kubernetes object.
type ObjectRef struct {
	Group     string
	Version   string
	Kind      string
	Namespace string
	Name      string
}

// String is the object as kubectl names it: "Deployment web", "ClusterRole.rbac.authorization.k8s.io x".
func (r ObjectRef) String() string {
	kind := r.Kind
	if r.Group != "" {
		kind += "." + r.Group
	}
	return kind + " " + r.Name
}

// key identifies an object the way Helm matches the objects of two revisions: by group, kind,
// namespace and name, whatever the version.
func (r ObjectRef) key() string {
	return r.Group + "/" + r.Kind + "/" + r.Namespace + "/" + r.Name
}

// ChangeAction is what apply does to one object.
type ChangeAction string

const (
	ChangeCreate    ChangeAction = "create"
	ChangeUpdate    ChangeAction = "update"
	ChangeDelete    ChangeAction = "delete"
	ChangeUnchanged ChangeAction = "unchanged"
)

// ObjectChange is what apply would do to one object of a release.
type ObjectChange struct {
	Object ObjectRef
	Action ChangeAction
	// Missing says that an object the release applied is gone from the cluster.
	Missing bool
	// Drift lists the fields whose live value differs from what the release applied: Old is
	// the applied value, New the live one.
	Drift []FieldChange
	// Diff lists the fields that apply would change: Old is the live value, New the value
	// after apply as the API server's dry run computed it.
	Diff []FieldChange
	// Live and Planned are the object before and after apply, without the fields the plan
	// ignores. Live is nil for a creation, Planned for a deletion.
	Live    map[string]any
	Planned map[string]any
	// Conflicts are the fields that apply would change but other field managers own, as the
	// dry run found them.
	Conflicts []Conflict
	// Note adds what the plan could not check, such as defaults not shown.
	Note string
	// ArrivesWith names the release that installs the CRD of the object's kind, which the
	// cluster does not serve yet: the object is planned as a creation, not dry-run, and apply
	// creates it after that release (the object's own release when its chart's crds/ has it).
	ArrivesWith string
	// Err is why apply would fail on this object (the dry run's error).
	Err error
	// Settled is the resourceVersion of the live object of an unchanged object that the
	// release's deployed revision has as the new one does, and that has not drifted from it:
	// apply leaves it alone while it keeps that version. Empty for every other object.
	Settled string
}

// IgnoredField is a field that ignoreDifferences left out.
type IgnoredField struct {
	Object ObjectRef
	// Path is the JSON pointer of kaji.yaml, such as /spec/replicas.
	Path string
}

// FieldOp is how one field changes.
type FieldOp string

const (
	FieldAdd     FieldOp = "add"
	FieldRemove  FieldOp = "remove"
	FieldReplace FieldOp = "replace"
)

// FieldChange is one changed field.
type FieldChange struct {
	// Path is the field, such as spec.replicas, data.GREETING or
	// spec.template.spec.containers[name=app].image.
	Path string
	Op   FieldOp
	Old  any
	New  any
	// Sensitive marks the data of a Secret: views show its size, not its value, unless asked.
	Sensitive bool
}

// Release returns the plan of the release called name, or nil.
func (p *Plan) Release(name string) *Release {
	for i := range p.Releases {
		if p.Releases[i].Name == name && p.Releases[i].State != StateOrphan {
			return &p.Releases[i]
		}
	}
	return nil
}

// Summary counts releases by state.
type Summary map[State]int

// Summary counts the releases of p by state.
func (p *Plan) Summary() Summary {
	s := Summary{}
	for _, r := range p.Releases {
		s[r.State]++
	}
	return s
}

// HasChanges reports whether apply has anything to do, or to fail on: a release that is
// neither in sync nor an orphan (an adoption without a new revision counts), or one that could
// not be planned.
func (p *Plan) HasChanges() bool {
	for _, r := range p.Releases {
		if r.Err != nil || (r.State != StateInSync && r.State != StateOrphan) || r.Action == ActionUninstall {
			return true
		}
	}
	return false
}

// Err returns every error of the plan, releases and objects, or nil: apply would fail on
// each of them.
func (p *Plan) Err() error {
	var errs []error
	for _, r := range p.Releases {
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("release %s/%s: %w", r.Namespace, r.Name, r.Err))
		}
		for _, c := range r.Changes {
			if c.Err != nil {
				errs = append(errs, fmt.Errorf("release %s/%s: %s: %w", r.Namespace, r.Name, c.Object, c.Err))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &Error{Errs: errs}
}

// Error is the errors a plan found.
type Error struct{ Errs []error }

func (e *Error) Error() string {
	lines := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		lines[i] = err.Error()
	}
	return fmt.Sprintf("the plan found %d error(s) that apply would fail on:\n  %s", len(e.Errs), strings.Join(lines, "\n  "))
}

func (e *Error) Unwrap() []error { return e.Errs }

// Pruned returns the orphans that apply uninstalls (planned with Options.Prune).
func (p *Plan) Pruned() []Release {
	var out []Release
	for _, r := range p.Releases {
		if r.State == StateOrphan && r.Action == ActionUninstall {
			out = append(out, r)
		}
	}
	return out
}

// NeedsApply reports whether apply must install or upgrade the release.
func (r *Release) NeedsApply() bool {
	return r.Action == ActionInstall || r.Action == ActionUpgrade
}

// Adopted counts the releases that apply adopts without a new revision (ActionAdopt).
func (p *Plan) Adopted() int {
	n := 0
	for _, r := range p.Releases {
		if r.Action == ActionAdopt {
			n++
		}
	}
	return n
}

// Blocked returns why apply cannot act on the release, or nil.
func (r *Release) Blocked() error {
	if r.Action != ActionBlocked {
		return nil
	}
	return errors.New(r.Reason)
}
