package plan

import (
	"fmt"
	"strings"
)

// crdWarnings warns about the CRDs of a chart's crds/ directory that apply will not put in
// the cluster: Helm installs them only on a release's first install, and never upgrades them.
func crdWarnings(w *work, live *liveSet, ignore []FieldPath) {
	if w.out.Err != nil {
		return
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
		case l == nil && w.out.Action != ActionInstall:
			w.out.Warnings = append(w.out.Warnings, fmt.Sprintf(
				"CRD %s of the chart's crds/ is not in the cluster, and helm installs crds/ only on a first install: apply it yourself (kubectl apply --server-side -f <chart>/crds/)", c.ref.Name))
		case l != nil:
			drift := driftOf(strip(c.u.Object, ignore), strip(l.Object, ignore))
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
				"CRD %s differs from the chart's crds/ (%s), and helm never upgrades CRDs: apply it yourself (kubectl apply --server-side -f <chart>/crds/)",
				c.ref.Name, strings.Join(paths, ", ")))
		}
	}
}
