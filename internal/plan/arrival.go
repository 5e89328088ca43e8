package plan

import (
	"fmt"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/suggest"
)

// A custom resource whose kind the cluster does not serve yet cannot be mapped nor dry-run.
// When a CRD of the plan defines the kind, in a release that the resource's release needs
// (directly or through others) or in its own chart's crds/, the kind arrives before the
// resource: the resource is planned as a creation that arrives with that release. Otherwise
// apply would fail on it, and the plan says why and what to do.

// crdKind is a kind that a CRD of the plan defines.
type crdKind struct {
	// w is the release whose chart has the CRD.
	w   *work
	crd ObjectRef
	// served are the versions the CRD serves.
	served []string
	// inCRDsDir says that the CRD is in the chart's crds/ directory, which helm installs
	// before the templates, and only on a first install; else it is in the templates.
	inCRDsDir bool
}

// arrivals knows which kinds arrive during a run.
type arrivals struct {
	kinds map[schema.GroupKind][]crdKind
	// needs are the releases that each declared release needs, directly.
	needs map[string][]string
	// planned are the releases of the plan.
	planned map[string]bool
	// known are the kinds the cluster serves and the plan's CRDs define, as Kind.group, for
	// suggestions.
	known []string
}

// newArrivals indexes the CRDs of the rendered releases of works.
func newArrivals(res *spec.Resolved, works []*work, caps *common.Capabilities) *arrivals {
	a := &arrivals{kinds: map[schema.GroupKind][]crdKind{}, needs: map[string][]string{}, planned: map[string]bool{}}
	for _, r := range res.Releases {
		a.needs[r.Name] = r.Needs
	}
	for _, w := range works {
		a.planned[w.spec.Name] = true
		if w.out.Err != nil {
			continue
		}
		for _, c := range w.crds {
			a.add(w, c, true)
		}
		for _, d := range w.desired {
			if d.ref.Group == "apiextensions.k8s.io" && d.ref.Kind == "CustomResourceDefinition" {
				a.add(w, d, false)
			}
		}
	}
	if caps != nil {
		for _, v := range caps.APIVersions {
			if k := servedKind(v); k != "" {
				a.known = append(a.known, k)
			}
		}
	}
	for gk := range a.kinds {
		a.known = append(a.known, gk.String())
	}
	return a
}

func (a *arrivals) add(w *work, crd object, inCRDsDir bool) {
	group, _, _ := unstructured.NestedString(crd.u.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.u.Object, "spec", "names", "kind")
	if kind == "" {
		return
	}
	versions, _, _ := unstructured.NestedSlice(crd.u.Object, "spec", "versions")
	var served []string
	for _, v := range versions {
		m, _ := v.(map[string]any)
		name, _ := m["name"].(string)
		if on, _ := m["served"].(bool); on && name != "" {
			served = append(served, name)
		}
	}
	gk := schema.GroupKind{Group: group, Kind: kind}
	a.kinds[gk] = append(a.kinds[gk], crdKind{w: w, crd: crd.ref, served: served, inCRDsDir: inCRDsDir})
}

// servedKind returns "Kind.group" of an entry of Capabilities.APIVersions that names a kind
// ("apps/v1/Deployment", "v1/Pod"), or "".
func servedKind(v string) string {
	parts := strings.Split(v, "/")
	kind := parts[len(parts)-1]
	if len(parts) < 2 || kind == "" || kind[0] < 'A' || kind[0] > 'Z' {
		return ""
	}
	if len(parts) == 3 {
		return kind + "." + parts[0]
	}
	return kind
}

// needed returns every release that name needs, through others too.
func (a *arrivals) needed(name string) map[string]bool {
	out := map[string]bool{}
	todo := slices.Clone(a.needs[name])
	for len(todo) > 0 {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if out[n] {
			continue
		}
		out[n] = true
		todo = append(todo, a.needs[n]...)
	}
	return out
}

// arrive plans c, the creation or update of d, an object of w whose kind the cluster does
// not serve: as arriving with the release that installs its CRD, or with the error apply
// would meet.
func (a *arrivals) arrive(w *work, d object, c *ObjectChange, ignore []FieldPath) {
	if a == nil || !d.unserved {
		c.Err = d.err
		return
	}
	src, err := a.source(w, d.ref)
	if err != nil {
		c.Err = err
		return
	}
	c.ArrivesWith = src.w.spec.Name
	c.Planned = strip(d.u.Object, ignore)
	c.Note = fmt.Sprintf("kind arrives with release %s, whose templates install CRD %s; not dry-run", src.w.spec.Name, src.crd.Name)
	if src.inCRDsDir {
		c.Note = fmt.Sprintf("kind arrives with release %s, from CRD %s of its chart's crds/ directory, which helm installs first; not dry-run", src.w.spec.Name, src.crd.Name)
	}
}

// source returns the CRD that brings the kind of ref to the cluster before the object of w,
// or why none does.
func (a *arrivals) source(w *work, ref ObjectRef) (crdKind, error) {
	gk := ref.gvk().GroupKind()
	kind := gk.String() // as kubectl names it: Deployment.apps, Pod
	name := w.spec.Name
	needed := a.needed(name)
	var own, other []crdKind
	for _, s := range a.kinds[gk] {
		switch s.w.spec.Name {
		case name:
			own = append(own, s)
		default:
			if needed[s.w.spec.Name] {
				if err := s.check(ref, kind); err != nil {
					return s, err
				}
				return s, nil
			}
			other = append(other, s)
		}
	}
	for _, s := range own {
		if s.inCRDsDir {
			return s, s.check(ref, kind)
		}
	}
	if len(own) > 0 {
		return own[0], fmt.Errorf("kind %s is defined by CRD %s in the same release's templates, and helm maps every object of a release before it creates any, so the install of release %s would fail (helm/helm#7449): move the CRD to the chart's crds/ directory, or to a release of its own that %s needs",
			kind, own[0].crd.Name, name, name)
	}
	if len(other) > 0 {
		from := other[0].w.spec.Name
		return other[0], fmt.Errorf("kind %s arrives with release %s, which release %s does not need, so apply may create it first: add %s to the needs of release %s in kaji.yaml (needs: [%s])",
			kind, from, name, from, name, from)
	}
	msg := fmt.Sprintf("kind %s (apiVersion %s) is not served by the cluster, and nothing in the plan provides its CRD to release %s: install the CRD first, or add the release whose chart has it to the needs of release %s in kaji.yaml",
		kind, schema.GroupVersion{Group: ref.Group, Version: ref.Version}, name, name)
	if missing := a.unplanned(name); len(missing) > 0 {
		msg += fmt.Sprintf("; release %s needs %s, which this plan leaves out: plan them together", name, strings.Join(missing, ", "))
	}
	if s := a.suggest(gk); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	return crdKind{}, fmt.Errorf("%s", msg)
}

// check returns why s does not bring ref's kind in ref's version before ref, or nil.
func (s crdKind) check(ref ObjectRef, kind string) error {
	from := s.w.spec.Name
	if !slices.Contains(s.served, ref.Version) {
		return fmt.Errorf("kind %s arrives with release %s, but CRD %s serves %s, not %s: use one of those versions in the apiVersion",
			kind, from, s.crd.Name, strings.Join(s.served, ", "), schema.GroupVersion{Group: ref.Group, Version: ref.Version})
	}
	if s.inCRDsDir && !s.w.bringsCRDsDir() {
		return fmt.Errorf("kind %s would arrive with CRD %s of the crds/ directory of release %s, but helm installs crds/ only on a first install and release %s is not installed now: apply the CRD yourself (kubectl apply --server-side -f <chart>/crds/)",
			kind, s.crd.Name, from, from)
	}
	return nil
}

// unplanned returns the releases that name needs, through others too, that the plan leaves out.
func (a *arrivals) unplanned(name string) []string {
	var out []string
	for n := range a.needed(name) {
		if !a.planned[n] {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// suggest returns the served or planned kind that gk may misspell, or "": a kind of the same
// group first, then any.
func (a *arrivals) suggest(gk schema.GroupKind) string {
	var same []string
	for _, k := range a.known {
		if g := schema.ParseGroupKind(k); g.Group == gk.Group {
			same = append(same, g.Kind)
		}
	}
	if s := suggest.Closest(gk.Kind, same); s != "" {
		return schema.GroupKind{Group: gk.Group, Kind: s}.String()
	}
	return suggest.Closest(gk.String(), a.known)
}

// bringsCRDsDir reports whether apply puts the CRDs of the chart's crds/ of w in the cluster:
// in CRD mode apply always, in mode create (helm's way) on a first install only.
func (w *work) bringsCRDsDir() bool {
	switch w.crdMode() {
	case spec.CRDsSkip:
		return false
	case spec.CRDsCreate:
		return w.hist.installable()
	}
	return true // apply: before every install and upgrade
}
