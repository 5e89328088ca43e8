package plan

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/release"
)

// Conflict is a field that apply would change, but that another field manager owns: the
// API server refuses a server-side apply that changes it unless the apply forces it.
type Conflict struct {
	// Path is the field as the API server names it, such as spec.replicas or
	// spec.template.spec.containers[name="app"].image.
	Path string
	// Manager is the field manager that owns the field, such as kube-controller-manager or
	// kubectl; "unknown" when the API server did not say.
	Manager string
	// Subresource is the subresource through which the manager wrote it, such as scale.
	Subresource string
	// Kind says who the manager is, and so whether apply takes the field.
	Kind ManagerKind
}

// ManagerKind sorts field managers by what apply does about their fields.
type ManagerKind string

const (
	// ManagerKubectl is kubectl (kubectl, or kubectl-edit, kubectl-patch,
	// kubectl-client-side-apply and the like): the field was changed by hand, which is drift
	// that apply repairs.
	ManagerKubectl ManagerKind = "kubectl"
	// ManagerHelm is helm's own field manager, when a client-side apply (Helm 3, or helm
	// install --server-side=false) wrote the field: the upgrade, always server-side, moves
	// that ownership over to its apply.
	ManagerHelm ManagerKind = "helm"
	// ManagerOther is any other manager: controllers (such as the HPA's), operators, webhooks
	// and other tools. Apply refuses to take their fields unless forced.
	ManagerOther ManagerKind = "other"
)

// kindOf sorts a field manager. kubectl names its field manager after the command
// (kubectl-edit, kubectl-patch, kubectl-client-side-apply), or, when a command does not, the
// API server names it after the user agent: kubectl scale records "kubectl".
func kindOf(manager string) ManagerKind {
	switch {
	case manager == "kubectl" || strings.HasPrefix(manager, "kubectl-"):
		return ManagerKubectl
	case manager == release.FieldManager:
		return ManagerHelm
	}
	return ManagerOther
}

// Taken reports whether apply takes the field: always unless its manager is ManagerOther,
// and then only when forced.
func (c Conflict) Taken(force bool) bool { return force || c.Kind != ManagerOther }

func (c Conflict) String() string {
	who := strconv.Quote(c.Manager)
	if c.Subresource != "" {
		who += " through the " + c.Subresource + " subresource"
	}
	return fmt.Sprintf("%s is owned by %s", c.Path, who)
}

// conflictsOf lists the fields of a server-side apply conflict (HTTP 409) with the managers
// that own them, from the causes of the API server's status: each has the field as Field
// (".spec.replicas") and the manager in its Message (`conflict with "kubectl" with
// subresource "scale" using apps/v1`).
func conflictsOf(err error) []Conflict {
	var out []Conflict
	var st apierrors.APIStatus
	if errors.As(err, &st) && st.Status().Details != nil {
		for _, c := range st.Status().Details.Causes {
			if c.Type != metav1.CauseTypeFieldManagerConflict {
				continue
			}
			manager, subresource := parseConflictMessage(c.Message)
			out = append(out, Conflict{Path: strings.TrimPrefix(c.Field, "."), Manager: manager,
				Subresource: subresource, Kind: kindOf(manager)})
		}
	}
	if len(out) == 0 {
		out = append(out, Conflict{Manager: "unknown", Path: err.Error(), Kind: ManagerOther})
	}
	return out
}

// parseConflictMessage reads the manager and subresource out of a conflict's message.
func parseConflictMessage(msg string) (manager, subresource string) {
	rest, ok := strings.CutPrefix(msg, "conflict with ")
	if !ok {
		return "unknown", ""
	}
	q, err := strconv.QuotedPrefix(rest)
	if err != nil {
		return "unknown", ""
	}
	manager, _ = strconv.Unquote(q)
	rest = rest[len(q):]
	if after, ok := strings.CutPrefix(rest, " with subresource "); ok {
		if q, err := strconv.QuotedPrefix(after); err == nil {
			subresource, _ = strconv.Unquote(q)
		}
	}
	return manager, subresource
}

// plainPath is a field path of map keys only, which a JSON pointer can name unambiguously.
var plainPath = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// Pointer is the conflict's field as a JSON pointer for ignoreDifferences, such as
// /spec/replicas, or "" when its path has list elements or keys with dots or slashes.
func (c Conflict) Pointer() string {
	if !plainPath.MatchString(c.Path) {
		return ""
	}
	return "/" + strings.ReplaceAll(c.Path, ".", "/")
}

// ObjectConflict is a conflict of one object of a release.
type ObjectConflict struct {
	Object ObjectRef
	Conflict
}

// Refused lists the conflicts for which apply refuses the release: those of ManagerOther, when
// the plan was not told to force them. It is empty unless Action is ActionRefused.
func (r *Release) Refused() []ObjectConflict {
	if r.Action != ActionRefused {
		return nil
	}
	return r.conflicts(func(c Conflict) bool { return !c.Taken(false) })
}

func (r *Release) conflicts(keep func(Conflict) bool) []ObjectConflict {
	var out []ObjectConflict
	for _, ch := range r.Changes {
		for _, c := range ch.Conflicts {
			if keep(c) {
				out = append(out, ObjectConflict{Object: ch.Object, Conflict: c})
			}
		}
	}
	return out
}

// ConflictError is why apply refuses a release: fields it would change belong to other field
// managers.
type ConflictError struct {
	Name, Namespace string
	Conflicts       []ObjectConflict
}

// RefusedError returns the error apply fails the release with, or nil when it is not refused.
func (r *Release) RefusedError() error {
	if r.Action != ActionRefused {
		return nil
	}
	var errs []error
	if refused := r.Refused(); len(refused) > 0 {
		errs = append(errs, &ConflictError{Name: r.Name, Namespace: r.Namespace, Conflicts: refused})
	}
	if dropped := r.Unaccepted(); len(dropped) > 0 {
		errs = append(errs, &DroppedError{Name: r.Name, Namespace: r.Namespace, Dropped: dropped})
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

func (e *ConflictError) Error() string {
	fields := make([]string, len(e.Conflicts))
	var ignores []string
	for i, c := range e.Conflicts {
		fields[i] = fmt.Sprintf("%s: %s", c.Object, c.Conflict)
		if p := c.Pointer(); p != "" {
			ignores = append(ignores, fmt.Sprintf("{kind: %s, name: %s, paths: [%s]}", c.Object.Kind, c.Object.Name, p))
		}
	}
	ignore := "ignoreDifferences for those paths"
	if len(ignores) > 0 {
		ignore = "ignoreDifferences: [" + strings.Join(ignores, ", ") + "]"
	}
	return fmt.Sprintf("apply refuses to take fields that other field managers own: %s; "+
		"to take them, run kaji apply --force-conflicts or set forceConflicts: true on release %s in kaji.yaml; "+
		"to leave them to their owner, add %s to the release",
		strings.Join(fields, "; "), e.Name, ignore)
}

// settleConflicts decides, once the dry runs are done, what apply does about the conflicts
// they met: take those of kubectl (drift by hand) and of helm's own client-side writes and,
// when forced, all others; else refuse the release.
func settleConflicts(w *work, force bool) {
	r := w.out
	all := r.conflicts(func(Conflict) bool { return true })
	if len(all) == 0 {
		return
	}
	force = force || w.spec.ForceConflicts
	var refused []string
	for _, c := range all {
		if !c.Taken(force) {
			refused = append(refused, fmt.Sprintf("%s %s", c.Object, c.Conflict))
		}
	}
	if len(refused) == 0 {
		r.ForceConflicts = true
		return
	}
	r.Action, r.Revision, r.Hooks = ActionRefused, 0, nil
	r.Reason += fmt.Sprintf("; apply refuses it: %s (take with --force-conflicts or forceConflicts: true, or leave with ignoreDifferences)",
		strings.Join(refused, ", "))
}
