package savedplan

import (
	"fmt"
	"path/filepath"
	"strings"

	"kaji.dev/kaji/internal/plan"
)

// StaleError says that a saved plan no longer holds: what it was computed from changed.
type StaleError struct {
	// Plan is the path of the saved plan.
	Plan string
	// Changes say what changed, one line each.
	Changes []string
}

func (e *StaleError) Error() string {
	name := e.Plan
	if name == "" {
		name = "FILE"
	}
	return fmt.Sprintf("the saved plan %s no longer holds, so nothing was applied:\n  %s\nrun kaji plan --out %s again, review it, and apply that plan",
		name, strings.Join(e.Changes, "\n  "), name)
}

// CheckFiles compares the files the plan was computed from with what is on disk now, where
// kajiYAML is the path of kaji.yaml, against whose directory the others are found. It reads
// files only.
func (f *File) CheckFiles(kajiYAML string) error {
	dir := filepath.Dir(kajiYAML)
	var changes []string
	for i, saved := range f.Files {
		path := resolve(dir, saved.Path)
		if i == 0 {
			path = kajiYAML
		}
		now, err := digestFile(path)
		if err != nil {
			return err
		}
		switch {
		case saved.Absent && !now.Absent:
			changes = append(changes, saved.Path+" was created")
		case !saved.Absent && now.Absent:
			changes = append(changes, saved.Path+" was removed")
		case saved.SHA256 != now.SHA256:
			changes = append(changes, saved.Path+" changed")
		}
	}
	if len(changes) == 0 {
		return nil
	}
	return &StaleError{Plan: f.path, Changes: changes}
}

// Check compares a plan made now with the saved one: the same releases, each with the same
// action and state, the same latest revision, the same digest of what apply would install
// and of the live objects compared. It returns a *StaleError naming, per release, what
// changed.
func (f *File) Check(p *plan.Plan) error {
	var changes []string
	if p.Project != f.Project || p.Environment != f.Environment {
		changes = append(changes, fmt.Sprintf("the plan is of project %s, environment %q; this one of project %s, environment %q",
			f.Project, f.Environment, p.Project, p.Environment))
	}
	saved := map[string]Release{}
	for _, r := range f.Releases {
		saved[releaseKey(r.Namespace, r.Name, r.State)] = r
	}
	now := map[string]bool{}
	for _, pr := range p.Releases {
		r := releaseOf(pr)
		k := releaseKey(r.Namespace, r.Name, r.State)
		now[k] = true
		old, ok := saved[k]
		if !ok {
			changes = append(changes, fmt.Sprintf("release %s/%s: %s", r.Namespace, r.Name, appeared(r)))
			continue
		}
		for _, c := range compareRelease(old, r) {
			changes = append(changes, fmt.Sprintf("release %s/%s: %s", r.Namespace, r.Name, c))
		}
	}
	for _, r := range f.Releases {
		if !now[releaseKey(r.Namespace, r.Name, r.State)] {
			what := "is no longer in the plan"
			if r.State == string(plan.StateOrphan) {
				what = "is no longer an orphan"
			}
			changes = append(changes, fmt.Sprintf("release %s/%s: %s", r.Namespace, r.Name, what))
		}
	}
	if len(changes) == 0 {
		return nil
	}
	return &StaleError{Plan: f.path, Changes: changes}
}

// releaseKey matches the releases of two plans: an orphan apart from a declared release of
// the same name.
func releaseKey(namespace, name, state string) string {
	orphan := state == string(plan.StateOrphan)
	return fmt.Sprintf("%s/%s/%t", namespace, name, orphan)
}

// appeared says what is new about a release that the saved plan did not have.
func appeared(r Release) string {
	if r.State == string(plan.StateOrphan) {
		return "is an orphan now"
	}
	return "is new in the plan"
}

// compareRelease says what changed between the saved plan of a release and a new one.
func compareRelease(old, now Release) []string {
	var out []string
	if old.Revision != now.Revision || old.Status != now.Status {
		out = append(out, fmt.Sprintf("latest revision %s → %s", revision(old), revision(now)))
	}
	if old.Action != now.Action || old.State != now.State {
		out = append(out, fmt.Sprintf("action %s (%s) → %s (%s)", old.Action, old.State, now.Action, now.State))
	}
	if old.Chart != now.Chart || old.Version != now.Version {
		out = append(out, fmt.Sprintf("chart %s %s → %s %s", old.Chart, old.Version, now.Chart, now.Version))
	}
	if old.Desired != now.Desired {
		out = append(out, "what apply would install changed (the chart's content, the values, or a secret they reference)")
	}
	if old.Live != now.Live {
		out = append(out, liveChanges(old.Objects, now.Objects)...)
	}
	return out
}

// revision names a revision and its status.
func revision(r Release) string {
	if r.Revision == 0 {
		return "none"
	}
	return fmt.Sprintf("%d (%s)", r.Revision, r.Status)
}

// liveChanges names the live objects that changed, by their identities: created, deleted,
// replaced or written since the plan. Objects whose only writes were to fields the plan
// ignores are among them when something else changed too.
func liveChanges(old, now []Object) []string {
	before := map[string]Object{}
	for _, o := range old {
		before[o.key()] = o
	}
	var out []string
	for _, o := range now {
		b, ok := before[o.key()]
		delete(before, o.key())
		switch {
		case !ok:
			// An object the plan now compares and did not: a new object in what apply would
			// write, which the digest of what it installs has said.
		case b.UID == "" && o.UID != "":
			out = append(out, fmt.Sprintf("live object %s was created", o))
		case b.UID != "" && o.UID == "":
			out = append(out, fmt.Sprintf("live object %s was deleted", o))
		case b.UID != o.UID:
			out = append(out, fmt.Sprintf("live object %s was deleted and created again", o))
		case b.ResourceVersion != o.ResourceVersion:
			out = append(out, fmt.Sprintf("live object %s changed (resourceVersion %s → %s)", o, b.ResourceVersion, o.ResourceVersion))
		}
	}
	if len(out) == 0 {
		out = append(out, "its live objects changed")
	}
	return out
}
