package plan

import (
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// crdChange is what apply does to one CRD of the chart's crds/ in CRD mode apply.
type crdChange struct {
	// o is the CRD as apply sends it: with the release's ownership marks.
	o      object
	change ObjectChange
	// dryRun says that the API server is asked what the CRD would become.
	dryRun bool
}

func (w *work) crdMode() spec.CRDMode {
	if w.spec.CRDs == "" {
		return spec.DefaultCRDMode
	}
	return w.spec.CRDs
}

// assessCRDs plans the CRDs of the chart's crds/ of a release in CRD mode apply, before its
// state is decided: a CRD to create or change is a reason to upgrade (comparison.crds). A CRD
// that release.CheckCRD refuses gets the refusal as its error, unless force (--force-crds).
func (w *work) assessCRDs(live *liveSet, project string, ignore []FieldPath, force bool) {
	if w.out.Err != nil || w.crdMode() != spec.CRDsApply {
		return
	}
	owner := release.CRDOwner{Release: w.spec.Name, Namespace: w.spec.Namespace, Project: project}
	for _, c := range w.crds {
		if c.mapping == nil {
			w.out.Warnings = append(w.out.Warnings, fmt.Sprintf("CRD %s of the chart's crds/ not checked: %v", c.ref.Name, c.err))
			continue
		}
		o := c
		o.u = c.u.DeepCopy()
		owner.Stamp(o.u)
		ch := crdChange{o: o, change: ObjectChange{Object: c.ref, Action: ChangeCreate,
			Note: "from the chart's crds/ directory, which apply applies before the release's objects"}}
		l, err := live.get(c)
		switch {
		case err != nil:
			ch.change.Err = fmt.Errorf("live CRD unknown: %w", err)
		case l == nil:
			ch.change.Planned, ch.dryRun = strip(o.u.Object, ignore), true
			w.cmp.crds = true
		default:
			ch.change.Action, ch.change.Live = ChangeUpdate, w.strip(l.Object, ignore)
			if !force {
				ch.change.Err = release.CheckCRD(l, o.u, owner)
			}
			if len(driftOf(crdApplied(strip(o.u.Object, ignore)), ch.change.Live)) == 0 {
				ch.change = ObjectChange{Object: c.ref, Action: ChangeUnchanged, Err: ch.change.Err}
				break
			}
			ch.dryRun = ch.change.Err == nil
			w.cmp.crds = true
		}
		w.crdPlan = append(w.crdPlan, ch)
	}
}

// crdChanges adds the planned CRDs to the changes of a release that apply installs or
// upgrades, first, as apply applies them first, and returns their dry runs. Apply takes
// their fields from any other field manager, as Helm does for its own objects: the dry runs
// do too.
func (w *work) crdChanges() []dryRun {
	var runs []dryRun
	for _, c := range w.crdPlan {
		w.out.Changes = append(w.out.Changes, c.change)
		if c.dryRun {
			runs = append(runs, dryRun{w: w, index: len(w.out.Changes) - 1, o: c.o, force: true})
		}
	}
	return runs
}

// crdApplied is a CRD as the API server stores it once applied, for comparing with the live
// one: the false and "" of fields that its Go type marks omitempty (preserveUnknownFields:
// false, which aws-vpc-cni's sets) are not stored, as withoutOmitted does for built-in kinds.
func crdApplied(applied map[string]any) map[string]any {
	var typed apiextensionsv1.CustomResourceDefinition
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(applied, &typed); err != nil {
		return applied
	}
	back, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&typed)
	if err != nil {
		return applied
	}
	if out, ok := keepStored(applied, back).(map[string]any); ok {
		return out
	}
	return applied
}
