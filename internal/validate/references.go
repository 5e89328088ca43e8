package validate

import (
	"fmt"
	"strconv"

	"kaji.dev/kaji/internal/secrets"
)

// references reports the malformed references to secrets in the layers of a release, each
// at its line. Offline, nothing is resolved: a well-formed reference is a string like any
// other, and its key is checked as any other key.
func (v *validator) references(release string, layers []*layer) []Finding {
	var out []Finding
	for _, l := range layers {
		for _, f := range secrets.Scan(l.vals) {
			if f.Err == nil {
				continue
			}
			path := make([]string, len(f.Keys))
			for i, k := range f.Keys {
				switch k := k.(type) {
				case int:
					path[i] = strconv.Itoa(k)
				default:
					path[i] = fmt.Sprint(k)
				}
			}
			pos, _ := l.pos(v.doc, path)
			out = append(out, Finding{
				Severity: Error, Code: CodeReference, Release: release, Pos: pos, Path: path,
				Message: oneLine(fmt.Sprintf("malformed reference to a secret %q: %v", f.Ref.Raw, f.Err)),
			})
		}
	}
	return out
}
