package plan

import (
	"fmt"
	"strings"

	"kaji.dev/kaji/internal/spec"
)

// crdWarnings warns about the CRDs of a chart's crds/ directory that apply will not put in
// the cluster, in CRD modes create and skip: Helm installs them only on a release's first
// install, and never upgrades them; skip never installs them. (Mode apply plans them as
// changes: assessCRDs.)
func crdWarnings(w *work, live *liveSet, ignore []FieldPath) {
	mode := w.crdMode()
	if w.out.Err != nil || mode == spec.CRDsApply {
		return
	}
	why := "helm installs crds/ only on a first install"
	if mode == spec.CRDsSkip {
		why = "crds: skip never installs them"
	}
	for _, c := range w.crds {
		if c.mapping == nil {
			w.out.Warnings = append(w.out.Warnings, fmt.Sprintf("CRD %s of the chart's crds/ not checked: %v", c.ref.Name, c.err))
			continue
		}
		l, err := live.get(c)
		switch {
		case err != nil:
			w.out.Warnings = append(w.out.Warnings, fmt.Sprintf("CRD %s of the chart's crds/ not checked: %v", c.ref.Name, err))
		case l == nil && (w.out.Action != ActionInstall || mode == spec.CRDsSkip):
			w.out.Warnings = append(w.out.Warnings, fmt.Sprintf(
				"CRD %s of the chart's crds/ is not in the cluster, and %s: apply it yourself (kubectl apply --server-side -f <chart>/crds/), or set crds: apply on the release", c.ref.Name, why))
		case l != nil:
			drift := driftOf(crdApplied(strip(c.u.Object, ignore)), strip(l.Object, ignore))
			if len(drift) == 0 {
				continue
			}
			paths := make([]string, 0, 3)
			for i, d := range drift {
				if i == 3 {
					paths = append(paths, fmt.Sprintf("and %d more", len(drift)-3))
					break
				}
				paths = append(paths, d.Path)
			}
			w.out.Warnings = append(w.out.Warnings, fmt.Sprintf(
				"CRD %s differs from the chart's crds/ (%s), and crds: %s never upgrades it: apply it yourself (kubectl apply --server-side -f <chart>/crds/), or set crds: apply on the release",
				c.ref.Name, strings.Join(paths, ", "), mode))
		}
	}
}
