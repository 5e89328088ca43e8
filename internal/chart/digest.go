package chart

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"hash"
	"slices"
	"strings"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// Digest is the sha256 of what a chart renders from: its Chart.yaml, its Chart.lock, its
// default values and values schema, its templates and other files (by name and content;
// modification times are left out), and the same of each of its dependencies.
//
// It does not depend on the order in which the chart lists them. Helm's loader reads charts/
// into a map, so two loads of one chart may list its subcharts in different orders; each
// dependency is hashed on its own, and their digests in sorted order.
func Digest(ch *chartv2.Chart) [sha256.Size]byte {
	h := sha256.New()
	writeJSON(h, ch.Metadata)
	writeJSON(h, ch.Lock)
	writeJSON(h, ch.Values)
	writeField(h, string(ch.Schema))
	for _, files := range [][]*chartcommon.File{ch.Templates, ch.Files} {
		writeField(h, "files")
		sorted := slices.SortedFunc(slices.Values(files), func(a, b *chartcommon.File) int { return strings.Compare(a.Name, b.Name) })
		for _, f := range sorted {
			writeField(h, f.Name)
			writeField(h, string(f.Data))
		}
	}
	deps := make([][sha256.Size]byte, 0, len(ch.Dependencies()))
	for _, d := range ch.Dependencies() {
		deps = append(deps, Digest(d))
	}
	slices.SortFunc(deps, func(a, b [sha256.Size]byte) int { return bytes.Compare(a[:], b[:]) })
	writeField(h, "dependencies")
	for _, d := range deps {
		h.Write(d[:])
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// writeField writes s to h with its length first, so that no two lists of fields write the
// same bytes.
func writeField(h hash.Hash, s string) {
	var n [8]byte
	for i, l := 0, len(s); i < 8; i, l = i+1, l>>8 {
		n[i] = byte(l)
	}
	h.Write(n[:])
	h.Write([]byte(s))
}

// writeJSON writes v as JSON, whose maps encoding/json sorts by key.
func writeJSON(h hash.Hash, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Charts come from YAML and JSON, so this does not happen; an error in the digest is
		// still a digest that changes with the chart's other parts.
		b = []byte("error: " + err.Error())
	}
	writeField(h, string(b))
}
