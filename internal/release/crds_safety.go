package release

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Helm's ownership marks: install and upgrade put them on every object of a release's
// templates. kaji puts them on the CRDs of crds/ that it applies (CRD mode apply) too.
const (
	ReleaseNameAnno      = "meta.helm.sh/release-name"
	ReleaseNamespaceAnno = "meta.helm.sh/release-namespace"
)

// CRDOwner is the release that applies a chart's crds/.
type CRDOwner struct {
	Release, Namespace string
	// Project is the kaji project; empty leaves the project label unchecked and unset.
	Project string
}

// Stamp puts the owner's marks on crd, as Helm marks the objects of its templates: so that
// later runs (and other releases) can tell whose it is.
func (o CRDOwner) Stamp(crd *unstructured.Unstructured) {
	annos := crd.GetAnnotations()
	if annos == nil {
		annos = map[string]string{}
	}
	annos[ReleaseNameAnno], annos[ReleaseNamespaceAnno] = o.Release, o.Namespace
	crd.SetAnnotations(annos)
	if o.Project != "" {
		labels := crd.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[ProjectLabel] = o.Project
		crd.SetLabels(labels)
	}
}

// UnsafeCRDError says why applying a CRD of a chart's crds/ is refused without --force-crds.
type UnsafeCRDError struct {
	CRD string
	// Version is the CRD version concerned; empty for an ownership refusal.
	Version string
	Reason  string
}

func (e *UnsafeCRDError) Error() string {
	return fmt.Sprintf("CRD %s: %s; refused: pass --force-crds to apply it anyway, or set crds: create or skip on the release", e.CRD, e.Reason)
}

// CheckCRD returns an *UnsafeCRDError when applying desired over live would lose data or take
// another's CRD, else nil. live is nil when the CRD does not exist. A live CRD is the owner's
// when it bears no ownership marks (installed by helm's crds/, by kubectl, or by hand: the
// usual way to upgrade them until now), or when its meta.helm.sh/release-name and
// release-namespace name the owner's release and its kaji.dev/project label, if any, names the
// owner's project.
func CheckCRD(live, desired *unstructured.Unstructured, owner CRDOwner) error {
	if live == nil {
		return nil
	}
	name := desired.GetName()
	if err := ownerError(live, owner); err != nil {
		return err
	}
	stored, _, _ := unstructured.NestedStringSlice(live.Object, "status", "storedVersions")
	liveServed := servedVersions(live)
	want := versionsOf(desired)
	for _, v := range stored {
		served, listed := want[v]
		switch {
		case !listed:
			return &UnsafeCRDError{CRD: name, Version: v, Reason: fmt.Sprintf(
				"the chart removes version %s, which objects are still stored in (status.storedVersions); migrate them to another version and remove %s from status.storedVersions first", v, v)}
		case !served && slices.Contains(liveServed, v):
			return &UnsafeCRDError{CRD: name, Version: v, Reason: fmt.Sprintf(
				"the chart stops serving version %s (served: false), which objects are still stored in (status.storedVersions)", v)}
		}
	}
	return nil
}

// ownerError returns an *UnsafeCRDError when the live CRD is marked as another release's or
// another project's.
func ownerError(live *unstructured.Unstructured, owner CRDOwner) error {
	annos := live.GetAnnotations()
	if rn, rns := annos[ReleaseNameAnno], annos[ReleaseNamespaceAnno]; (rn != "" || rns != "") && (rn != owner.Release || rns != owner.Namespace) {
		return &UnsafeCRDError{CRD: live.GetName(), Reason: fmt.Sprintf("it belongs to helm release %s/%s, not to %s/%s", rns, rn, owner.Namespace, owner.Release)}
	}
	if p := live.GetLabels()[ProjectLabel]; p != "" && owner.Project != "" && p != owner.Project {
		return &UnsafeCRDError{CRD: live.GetName(), Reason: fmt.Sprintf("it belongs to kaji project %q, not to %q", p, owner.Project)}
	}
	return nil
}

// versionsOf maps each version of a CRD to whether it is served.
func versionsOf(crd *unstructured.Unstructured) map[string]bool {
	out := map[string]bool{}
	vs, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range vs {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		served, _ := m["served"].(bool)
		out[name] = served
	}
	return out
}

func servedVersions(crd *unstructured.Unstructured) []string {
	var out []string
	for v, served := range versionsOf(crd) {
		if served {
			out = append(out, v)
		}
	}
	return out
}
