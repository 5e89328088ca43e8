package view

import (
	"encoding/json"
	"io"
	"time"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/plan"
)

// PlanAPIVersion names the schema of Document, documented in docs/plan-json.md. It changes
// when a field is removed or changes meaning; new fields may be added without a change.
const PlanAPIVersion = "kaji.dev/plan/v1alpha2"

// Document is `kaji plan -o json`.
type Document struct {
	APIVersion  string        `json:"apiVersion"`
	Project     string        `json:"project"`
	Environment string        `json:"environment,omitempty"`
	Time        time.Time     `json:"time"`
	Summary     SummaryJSON   `json:"summary"`
	Releases    []ReleaseJSON `json:"releases"`
	Lock        *LockJSON     `json:"lock,omitempty"`
	Warnings    []string      `json:"warnings"`
}

// LockJSON is who holds the project lock that apply takes while it runs.
type LockJSON struct {
	Who     string    `json:"who"`
	PID     int       `json:"pid"`
	Version string    `json:"version"`
	Command string    `json:"command,omitempty"`
	Since   time.Time `json:"since"`
	Renewed time.Time `json:"renewed"`
	Expired bool      `json:"expired"`
}

func lockJSON(h *lock.Holder) *LockJSON {
	if h == nil {
		return nil
	}
	return &LockJSON{Who: h.Who, PID: h.PID, Version: h.Version, Command: h.Command, Since: h.Since.UTC(), Renewed: h.Renewed.UTC(), Expired: h.Expired}
}

// SummaryJSON counts releases by what apply does to them.
type SummaryJSON struct {
	// Changes is true when apply has something to do (what --detailed-exitcode reports).
	Changes bool `json:"changes"`
	Install int  `json:"install"`
	Upgrade int  `json:"upgrade"`
	// Adopt counts the releases that apply adopts without a new revision (action adopt).
	Adopt     int `json:"adopt"`
	Drifted   int `json:"drifted"`
	Uninstall int `json:"uninstall"`
	InSync    int `json:"inSync"`
	Pending   int `json:"pending"`
	Failed    int `json:"failed"`
	Unmanaged int `json:"unmanaged"`
	Orphan    int `json:"orphan"`
	Errors    int `json:"errors"`
}

// ReleaseJSON is one release.
type ReleaseJSON struct {
	Name           string        `json:"name"`
	Namespace      string        `json:"namespace"`
	State          string        `json:"state"`
	Reason         string        `json:"reason"`
	Action         string        `json:"action"`
	ForceConflicts bool          `json:"forceConflicts"`
	Recover        bool          `json:"recover,omitempty"`
	Chart          string        `json:"chart,omitempty"`
	Version        string        `json:"version,omitempty"`
	Revision       int           `json:"revision,omitempty"`
	Current        *RevisionJSON `json:"current,omitempty"`
	Changes        []ChangeJSON  `json:"changes"`
	Hooks          []HookJSON    `json:"hooks,omitempty"`
	Warnings       []string      `json:"warnings"`
	Ignored        []IgnoredJSON `json:"ignored,omitempty"`
	Dropped        []DroppedJSON `json:"dropped,omitempty"`
	Error          string        `json:"error,omitempty"`
}

// DroppedJSON is a setting of kaji.yaml that the release's change of chart version drops.
type DroppedJSON struct {
	// Path is the key, as segments.
	Path []string `json:"path"`
	// Kind is how the new chart ignores it: unknown-key or no-effect.
	Kind string `json:"kind"`
	From string `json:"from"`
	To   string `json:"to"`
	// Severity is error, or info once accepted.
	Severity   string   `json:"severity"`
	Accepted   bool     `json:"accepted"`
	Message    string   `json:"message"`
	Suggestion []string `json:"suggestion,omitempty"`
	Gate       []string `json:"gate,omitempty"`
}

// IgnoredJSON is a field that the release's ignoreDifferences left out.
type IgnoredJSON struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	Path       string `json:"path"`
}

// ConflictJSON is a field that apply would change but another field manager owns.
type ConflictJSON struct {
	Path        string `json:"path"`
	Manager     string `json:"manager"`
	Subresource string `json:"subresource,omitempty"`
	// ManagerKind is kubectl (a change by hand, which apply repairs), helm (helm's own
	// client-side write, which the upgrade moves over) or other (apply refuses the release
	// unless forced).
	ManagerKind string `json:"managerKind"`
	// Pointer is the field as a JSON pointer for ignoreDifferences, when it has one.
	Pointer string `json:"pointer,omitempty"`
}

// HookJSON is a hook of the chart that apply would run.
type HookJSON struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	Events []string `json:"events"`
}

// RevisionJSON is the latest revision in Helm's storage.
type RevisionJSON struct {
	Revision     int       `json:"revision"`
	Status       string    `json:"status"`
	Chart        string    `json:"chart,omitempty"`
	Version      string    `json:"version,omitempty"`
	LastDeployed time.Time `json:"lastDeployed,omitzero"`
	Description  string    `json:"description,omitempty"`
	Project      string    `json:"project,omitempty"`
}

// ChangeJSON is what apply does to one object.
type ChangeJSON struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Namespace  string      `json:"namespace,omitempty"`
	Name       string      `json:"name"`
	Action     string      `json:"action"`
	Missing    bool        `json:"missing,omitempty"`
	Drift      []FieldJSON `json:"drift,omitempty"`
	Diff       []FieldJSON `json:"diff,omitempty"`
	// Planned is the object a creation would make, as the API server's dry run returned it.
	Planned   map[string]any `json:"planned,omitempty"`
	Conflicts []ConflictJSON `json:"conflicts,omitempty"`
	Note      string         `json:"note,omitempty"`
	// ArrivesWith names the release that installs the CRD of a kind the cluster does not
	// serve yet.
	ArrivesWith string `json:"arrivesWith,omitempty"`
	Error       string `json:"error,omitempty"`
}

// FieldJSON is one changed field. Old is absent for an addition and New for a removal; both
// are absent when the value is redacted, and Redacted then describes the change.
type FieldJSON struct {
	Path     string          `json:"path"`
	Op       string          `json:"op"`
	Old      json.RawMessage `json:"old,omitempty"`
	New      json.RawMessage `json:"new,omitempty"`
	Redacted string          `json:"redacted,omitempty"`
}

// JSONOptions change what the JSON holds.
type JSONOptions struct {
	// ShowSecrets keeps the values of Secrets.
	ShowSecrets bool
}

// NewDocument converts a plan to its JSON form.
func NewDocument(p *plan.Plan, opts JSONOptions) Document {
	s := p.Summary()
	doc := Document{
		APIVersion: PlanAPIVersion, Project: p.Project, Environment: p.Environment, Time: p.Time.UTC(),
		Summary: SummaryJSON{
			Changes: p.HasChanges(), Install: s[plan.StateInstall], Upgrade: s[plan.StateUpgrade],
			Drifted: s[plan.StateDrifted], InSync: s[plan.StateInSync], Pending: s[plan.StatePending],
			Failed: s[plan.StateFailed], Unmanaged: s[plan.StateUnmanaged], Orphan: s[plan.StateOrphan],
			Uninstall: len(p.Pruned()), Adopt: p.Adopted(),
		},
		Releases: []ReleaseJSON{},
		Lock:     lockJSON(p.Lock),
		Warnings: nonNil(p.Warnings),
	}
	if err, ok := p.Err().(*plan.Error); ok {
		doc.Summary.Errors = len(err.Errs)
	}
	for _, r := range p.Releases {
		doc.Releases = append(doc.Releases, releaseJSON(r, opts))
	}
	return doc
}

func releaseJSON(r plan.Release, opts JSONOptions) ReleaseJSON {
	out := ReleaseJSON{
		Name: r.Name, Namespace: r.Namespace, State: string(r.State), Reason: r.Reason, Action: string(r.Action),
		ForceConflicts: r.ForceConflicts, Recover: r.Recover, Chart: r.Chart, Version: r.Version, Revision: r.Revision,
		Changes: []ChangeJSON{}, Warnings: nonNil(r.Warnings),
	}
	if r.Err != nil {
		out.Error = r.Err.Error()
	}
	if c := r.Current; c != nil {
		out.Current = &RevisionJSON{Revision: c.Number, Status: c.Status, Chart: c.Chart, Version: c.Version,
			LastDeployed: c.Updated.UTC(), Description: c.Description, Project: c.Project}
	}
	for _, c := range r.Changes {
		out.Changes = append(out.Changes, changeJSON(c, opts))
	}
	for _, h := range r.Hooks {
		out.Hooks = append(out.Hooks, HookJSON{Kind: h.Kind, Name: h.Name, Events: h.Events})
	}
	for _, f := range r.Ignored {
		out.Ignored = append(out.Ignored, IgnoredJSON{APIVersion: apiVersionOf(f.Object), Kind: f.Object.Kind,
			Namespace: f.Object.Namespace, Name: f.Object.Name, Path: f.Path})
	}
	for _, d := range r.Dropped {
		sev := "error"
		if d.Accepted {
			sev = "info"
		}
		out.Dropped = append(out.Dropped, DroppedJSON{Path: d.Path, Kind: string(d.Kind), From: d.From, To: d.To,
			Severity: sev, Accepted: d.Accepted, Message: d.Message(), Suggestion: d.Suggestion, Gate: d.Gate})
	}
	return out
}

func apiVersionOf(r plan.ObjectRef) string {
	if r.Group != "" {
		return r.Group + "/" + r.Version
	}
	return r.Version
}

func changeJSON(c plan.ObjectChange, opts JSONOptions) ChangeJSON {
	apiVersion := apiVersionOf(c.Object)
	out := ChangeJSON{
		APIVersion: apiVersion, Kind: c.Object.Kind, Namespace: c.Object.Namespace, Name: c.Object.Name,
		Action: string(c.Action), Missing: c.Missing, Note: c.Note, ArrivesWith: c.ArrivesWith,
		Drift: fieldsJSON(c.Drift, opts), Diff: fieldsJSON(c.Diff, opts),
	}
	for _, cf := range c.Conflicts {
		out.Conflicts = append(out.Conflicts, ConflictJSON{Path: cf.Path, Manager: cf.Manager,
			Subresource: cf.Subresource, ManagerKind: string(cf.Kind), Pointer: cf.Pointer()})
	}
	if c.Action == plan.ChangeCreate {
		out.Planned = c.Planned
		if !opts.ShowSecrets {
			_, out.Planned = redactObjects(c.Object, nil, c.Planned)
		}
	}
	if c.Err != nil {
		out.Error = c.Err.Error()
	}
	return out
}

func fieldsJSON(fs []plan.FieldChange, opts JSONOptions) []FieldJSON {
	var out []FieldJSON
	for _, f := range fs {
		j := FieldJSON{Path: f.Path, Op: string(f.Op)}
		switch {
		case f.Sensitive && !opts.ShowSecrets:
			j.Redacted = redactField(f)
		default:
			if f.Op != plan.FieldAdd {
				j.Old = rawJSON(f.Old)
			}
			if f.Op != plan.FieldRemove {
				j.New = rawJSON(f.New)
			}
		}
		out = append(out, j)
	}
	return out
}

// JSON writes the plan as an indented Document.
func JSON(w io.Writer, p *plan.Plan, opts JSONOptions) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewDocument(p, opts))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// rawJSON encodes a value of an object, which came from JSON and so encodes.
func rawJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}
