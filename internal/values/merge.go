// Package values merges a release's values layers exactly as the Helm CLI merges -f files.
package values

import (
	"bytes"
	"encoding/json"
	"fmt"

	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"kaji.dev/kaji/internal/spec"
)

// Merge reads and merges the layers, lowest precedence first, with Helm's own merge: maps merge
// key by key, anything else replaces. Inline values pass through the same decoder as files,
// so that the chart sees the same types either way.
func Merge(layers []spec.ValuesLayer) (map[string]any, error) {
	base := map[string]any{}
	for _, l := range layers {
		m, err := read(l)
		if err != nil {
			return nil, err
		}
		base = loader.MergeMaps(base, m)
	}
	return base, nil
}

func read(l spec.ValuesLayer) (map[string]any, error) {
	var raw []byte
	if l.File != "" {
		b, err := spec.ReadFile(l.File)
		if err != nil {
			return nil, fmt.Errorf("values file %s (declared at %s): %w", l.File, l.Origin, err)
		}
		raw = b
	} else {
		b, err := json.Marshal(l.Inline)
		if err != nil {
			return nil, fmt.Errorf("inline values at %s: %w", l.Origin, err)
		}
		raw = b
	}
	m, err := loader.LoadValues(bytes.NewReader(raw))
	if err != nil {
		where := l.File
		if where == "" {
			where = "inline values at " + l.Origin.String()
		}
		return nil, fmt.Errorf("parse %s: %w", where, err)
	}
	return m, nil
}
