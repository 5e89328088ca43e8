package secrets

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Found is one reference in a values tree, well-formed or not.
type Found struct {
	// Path is where the value is, as a.b[2].c (keys that are not plain words are quoted:
	// a["b.c"]).
	Path string
	// Keys are the elements of Path: map keys (string) and list indexes (int).
	Keys []any
	Ref  Ref
	// Err says what is malformed; nil for a reference that can be resolved.
	Err error
}

// Scan lists every string value of values that is a reference, in key order, with the
// malformed ones carrying their error. It reads nothing from AWS: validate uses it offline.
func Scan(values map[string]any) []Found {
	var out []Found
	scanValue(values, nil, &out)
	return out
}

func scanValue(v any, keys []any, out *[]Found) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			scanValue(v[k], withKey(keys, k), out)
		}
	case []any:
		for i, e := range v {
			scanValue(e, withKey(keys, i), out)
		}
	case string:
		ref, ok, err := Parse(v)
		if ok {
			*out = append(*out, Found{Path: FormatPath(keys), Keys: keys, Ref: ref, Err: err})
		}
	}
}

// withKey returns a copy of keys extended by k; it never shares keys' backing array.
func withKey(keys []any, k any) []any {
	out := make([]any, 0, len(keys)+1)
	return append(append(out, keys...), k)
}

var plainPathKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// FormatPath writes keys as a.b[2].c, quoting keys that are not plain words: a["b.c"].
func FormatPath(keys []any) string {
	var b strings.Builder
	for _, k := range keys {
		switch k := k.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", k)
		case string:
			switch {
			case !plainPathKey.MatchString(k):
				fmt.Fprintf(&b, "[%q]", k)
			case b.Len() > 0:
				b.WriteString(".")
				b.WriteString(k)
			default:
				b.WriteString(k)
			}
		}
	}
	return b.String()
}
