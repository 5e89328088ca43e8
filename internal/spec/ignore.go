package spec

import (
	"fmt"
	"strings"

	"kaji.dev/kaji/internal/ignore"
)

const ignoreExample = "such as {kind: Deployment, name: web, paths: [/spec/replicas]}"

// validateIgnoreDifferences checks the entries of an ignoreDifferences list: a kind, a group
// without a version, and at least one path, each a JSON pointer to a field.
func (v *validator) validateIgnoreDifferences(p path, ds []IgnoreDifference) {
	for i, d := range ds {
		ip := p.with(i)
		if d.Kind == "" {
			v.add(ip.with("kind"), "kind is required", "name the kind of the objects, "+ignoreExample)
		}
		if strings.Contains(d.Group, "/") {
			v.add(ip.with("group"), fmt.Sprintf("group %q has a version", d.Group),
				"write the API group alone, such as apps, not apps/v1; leave it out for the core group or any group")
		}
		if len(d.Paths) == 0 {
			v.add(ip.with("paths"), "paths needs at least one JSON pointer", ignoreExample)
			continue
		}
		for j, s := range d.Paths {
			if _, err := ignore.ParsePointer(s); err != nil {
				v.add(ip.with("paths", j), fmt.Sprintf("invalid JSON pointer: %v", err),
					"write the field from the object's root with / between keys, such as /spec/replicas; ~1 stands for a / in a key")
			}
		}
	}
}
