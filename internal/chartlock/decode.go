package chartlock

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"go.yaml.in/yaml/v3"

	"kaji.dev/kaji/internal/spec"
)

// Problem is one mistake in kaji.lock.
type Problem struct {
	Pos     spec.Pos
	Message string
}

func (p Problem) String() string { return p.Pos.String() + ": " + p.Message }

// Problems is every mistake found in one kaji.lock, in source order.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s) in kaji.lock (fix them, or run kaji lock to write it again):\n  %s",
		len(ps), strings.Join(lines, "\n  "))
}

// Decode reads kaji.lock from data, strictly: an unknown or repeated field, a value of the
// wrong kind, a missing field, a version that is not exact, a malformed digest and a release
// locked twice are each a Problem at its line, and all of them are returned at once. name is
// the file name the problems carry.
func Decode(name string, data []byte) (*File, error) {
	d := &decoder{name: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Problems{{Pos: spec.Pos{File: name}, Message: fmt.Sprintf("not valid YAML: %v", err)}}
	}
	if len(doc.Content) == 0 {
		return nil, Problems{{Pos: spec.Pos{File: name}, Message: "the file is empty"}}
	}
	f := d.file(doc.Content[0])
	if len(d.problems) > 0 {
		return nil, d.problems
	}
	f.sort()
	return f, nil
}

type decoder struct {
	name     string
	problems Problems
}

func (d *decoder) add(n *yaml.Node, format string, args ...any) {
	d.problems = append(d.problems, Problem{Pos: spec.Pos{File: d.name, Line: n.Line, Column: n.Column}, Message: fmt.Sprintf(format, args...)})
}

// fields checks that n is a mapping without repeated keys and returns its values by key, in
// source order of the keys. Keys not in known are problems.
func (d *decoder) fields(n *yaml.Node, what string, known ...string) (map[string]*yaml.Node, bool) {
	if n.Kind != yaml.MappingNode {
		d.add(n, "%s must be a mapping", what)
		return nil, false
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.add(k, "%s has a key that is not a string", what)
		case !slices.Contains(known, k.Value):
			d.add(k, "%s has an unknown field %q (known fields: %s)", what, k.Value, strings.Join(known, ", "))
		case out[k.Value] != nil:
			d.add(k, "%s repeats the field %q", what, k.Value)
		default:
			out[k.Value] = v
		}
	}
	return out, true
}

// scalar returns the text of a scalar field as written (so that version: 1.10 stays 1.10).
func (d *decoder) scalar(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.add(n, "%s must be a string", field)
		return "", false
	}
	return n.Value, true
}

func (d *decoder) file(root *yaml.Node) *File {
	f := &File{}
	fields, ok := d.fields(root, "kaji.lock", "apiVersion", "releases")
	if !ok {
		return f
	}
	switch v := fields["apiVersion"]; {
	case v == nil:
		d.add(root, "apiVersion is missing (this kaji writes %s)", APIVersion)
	default:
		if s, ok := d.scalar(v, "apiVersion"); ok && s != APIVersion {
			d.add(v, "apiVersion %q is not %s, the only version this kaji reads (a newer kaji wrote it: upgrade kaji, or run kaji lock to write it again)", s, APIVersion)
		}
	}
	list := fields["releases"]
	switch {
	case list == nil:
		d.add(root, "releases is missing")
		return f
	case list.Kind == yaml.ScalarNode && list.Tag == "!!null":
		return f
	case list.Kind != yaml.SequenceNode:
		d.add(list, "releases must be a list")
		return f
	}
	seen := map[Key]int{}
	for _, n := range list.Content {
		e, ok := d.entry(n)
		if !ok {
			continue
		}
		if line, dup := seen[e.Key()]; dup {
			d.add(n, "release %s is locked twice (also at line %d)", e.Key(), line)
			continue
		}
		seen[e.Key()] = n.Line
		f.Entries = append(f.Entries, e)
	}
	return f
}

func (d *decoder) entry(n *yaml.Node) (Entry, bool) {
	fields, ok := d.fields(n, "an entry", "release", "environment", "repository", "chart", "version", "digest")
	if !ok {
		return Entry{}, false
	}
	var e Entry
	ok = true
	for _, f := range []struct {
		name     string
		to       *string
		optional bool
	}{
		{"release", &e.Release, false},
		{"environment", &e.Environment, true},
		{"repository", &e.Repository, false},
		{"chart", &e.Chart, false},
		{"version", &e.Version, false},
		{"digest", &e.Digest, false},
	} {
		v := fields[f.name]
		if v == nil {
			if !f.optional {
				d.add(n, "the entry has no %s", f.name)
				ok = false
			}
			continue
		}
		s, good := d.scalar(v, f.name)
		if good && s == "" && !f.optional {
			d.add(v, "%s is empty", f.name)
			good = false
		}
		ok = ok && good
		*f.to = s
		switch {
		case !good:
		case f.name == "version" && !isExact(s):
			d.add(v, "version %q is not an exact version", s)
			ok = false
		case f.name == "digest" && !validDigest(s):
			d.add(v, "digest %q is not sha256:<64 lowercase hex digits>", s)
			ok = false
		case f.name == "repository" && !hasScheme(s):
			d.add(v, "repository %q is neither an https:// (or http://) chart repository nor an oci:// registry", s)
			ok = false
		}
	}
	return e, ok
}

func isExact(v string) bool {
	_, err := semver.StrictNewVersion(v)
	return err == nil
}

func validDigest(d string) bool {
	hexPart, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hexPart) != 64 || strings.ToLower(hexPart) != hexPart {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil
}

func hasScheme(u string) bool {
	for _, p := range []string{"https://", "http://", "oci://"} {
		if strings.HasPrefix(u, p) && len(u) > len(p) {
			return true
		}
	}
	return false
}
