package unused

import (
	"maps"
	"slices"
	"strings"
)

// Leaves returns the leaf key paths of vals in sorted order: every value that is not a map,
// and every empty map. Lists are leaves; their elements are not walked.
func Leaves(vals map[string]any) [][]string {
	var out [][]string
	var walk func(prefix []string, m map[string]any)
	walk = func(prefix []string, m map[string]any) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			p := append(slices.Clip(prefix), k)
			if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
				walk(p, sub)
				continue
			}
			out = append(out, p)
		}
	}
	walk(nil, vals)
	return out
}

// pathKey encodes a path as a map key; segments may hold dots, so they are joined with NUL.
func pathKey(p []string) string { return strings.Join(p, "\x00") }

// hasPrefix reports whether p starts with prefix.
func hasPrefix(p, prefix []string) bool {
	return len(p) >= len(prefix) && slices.Equal(p[:len(prefix)], prefix)
}

// concat returns a new path: a followed by b.
func concat(a []string, b ...string) []string {
	out := make([]string, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}

// lookup returns the value at p in vals and whether every step of p exists.
func lookup(vals map[string]any, p []string) (any, bool) {
	var cur any = vals
	for _, seg := range p {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = m[seg]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

// deepCopy copies the maps and lists of a values tree.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// setPath sets the value at p in vals, which must be a private copy, creating maps as needed.
// It does nothing when a step of p is not a map.
func setPath(vals map[string]any, p []string, v any) {
	m := vals
	for _, seg := range p[:len(p)-1] {
		next, ok := m[seg].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	m[p[len(p)-1]] = v
}

// deletePath removes the key at p from vals, which must be a private copy.
func deletePath(vals map[string]any, p []string) {
	m := vals
	for _, seg := range p[:len(p)-1] {
		next, ok := m[seg].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, p[len(p)-1])
}
