package digest

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strings"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// Chart is the sha256 of what a chart renders from: its Chart.yaml, its Chart.lock, its
// default values and values schema, its templates and other files (by name and content;
// modification times are left out), and the same of each of its dependencies.
//
// It does not depend on the order in which the chart lists them. Helm's loader reads charts/
// into a map, so two loads of one chart may list its subcharts in different orders; each
// dependency is hashed on its own, and their digests in sorted order.
func Chart(ch *chartv2.Chart) [sha256.Size]byte {
	h := sha256.New()
	JSON(h, ch.Metadata)
	JSON(h, ch.Lock)
	JSON(h, ch.Values)
	Field(h, string(ch.Schema))
	for _, files := range [][]*chartcommon.File{ch.Templates, ch.Files} {
		Field(h, "files")
		sorted := slices.SortedFunc(slices.Values(files), func(a, b *chartcommon.File) int { return strings.Compare(a.Name, b.Name) })
		for _, f := range sorted {
			Field(h, f.Name)
			Field(h, string(f.Data))
		}
	}
	deps := make([][sha256.Size]byte, 0, len(ch.Dependencies()))
	for _, d := range ch.Dependencies() {
		deps = append(deps, Chart(d))
	}
	slices.SortFunc(deps, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	Field(h, "dependencies")
	for _, d := range deps {
		h.Write(d[:])
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}
