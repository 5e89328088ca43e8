package plan

import (
	"fmt"

	"helm.sh/helm/v4/pkg/release/common"

	"kaji.dev/kaji/internal/release"
)

// assess decides the state of w. Drift is looked for only when kaji.yaml did not change the
// release: otherwise apply upgrades it anyway, and the object changes show the drift.
func (p *Planner) assess(w *work, live *liveSet, project string, ignore []FieldPath) {
	r := w.out
	defer p.markRecover(w)
	if r.Err != nil {
		r.State, r.Reason, r.Action = decide(w.hist, project, comparison{unplanned: true}, w.adopt)
		if r.State == StateInSync {
			r.State, r.Reason, r.Action = StateUnknown, "could not be planned", ActionNone
		}
		r.Revision = 0
		return
	}
	// A release that is not the project's is looked at too when apply may adopt it: without
	// a change or drift, adopting it makes no new revision.
	if statusOf(w.hist.latest) == common.StatusDeployed && !w.cmp.changed() &&
		(w.hist.latest.Labels[release.ProjectLabel] == project || w.adopt) {
		for _, o := range w.base {
			drifted, err := w.driftedObject(o, live, ignore)
			if err != nil {
				r.Warnings = append(r.Warnings, fmt.Sprintf("drift of %s not checked: %v", o.ref, err))
				continue
			}
			if drifted != "" {
				w.cmp.drifted = append(w.cmp.drifted, drifted)
			}
		}
	}
	r.State, r.Reason, r.Action = decide(w.hist, project, w.cmp, w.adopt)
	if r.Action == ActionNone || r.Action == ActionBlocked || r.Action == ActionAdopt {
		r.Revision, r.Hooks = 0, nil
	}
}

// driftedObject describes how the live object of o differs from o as the release applied
// it ("Deployment web (spec.replicas)", "ConfigMap x (deleted)"), or returns "".
func (w *work) driftedObject(o object, live *liveSet, ignore []FieldPath) (string, error) {
	if o.mapping == nil {
		return "", o.err
	}
	l, err := live.get(o)
	if err != nil {
		return "", err
	}
	if l == nil {
		return o.ref.String() + " (deleted)", nil
	}
	drift := driftOfObject(applied(o, ignore), w.strip(l.Object, ignore))
	if len(drift) == 0 {
		return "", nil
	}
	fields := drift[0].Path
	if len(drift) > 1 {
		fields += fmt.Sprintf(" and %d more", len(drift)-1)
	}
	return fmt.Sprintf("%s (%s)", o.ref, fields), nil
}

// applied is o as the API server stores it once applied, for comparing with the live object:
// the ignored fields left out, and a Secret's stringData merged into its data.
func applied(o object, ignore []FieldPath) map[string]any {
	a := strip(o.u.Object, ignore)
	if isSecret(o.ref) {
		a = secretData(a)
	}
	return a
}

func isSecret(r ObjectRef) bool { return r.Group == "" && r.Kind == "Secret" }

// markSensitive flags the changes of a Secret's data.
func markSensitive(ref ObjectRef, changes []FieldChange) []FieldChange {
	if !isSecret(ref) {
		return changes
	}
	for i := range changes {
		if sensitivePath(changes[i].Path) {
			changes[i].Sensitive = true
		}
	}
	return changes
}

func sensitivePath(p string) bool {
	for _, prefix := range []string{"data", "stringData"} {
		if p == prefix || len(p) > len(prefix) && p[:len(prefix)] == prefix && (p[len(prefix)] == '.' || p[len(prefix)] == '[') {
			return true
		}
	}
	return false
}
