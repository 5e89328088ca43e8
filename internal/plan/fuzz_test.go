package plan

import (
	"os"
	"reflect"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// FuzzCompare compares two arbitrary objects as a plan does. Whatever they hold: an object
// neither differs nor drifts from itself or from a copy; the differences from a to b are
// those from b to a, with additions and removals swapped; and stripping the ignored fields
// leaves its input alone and changes nothing when done twice.
func FuzzCompare(f *testing.F) {
	for _, file := range []string{"testdata/compare/diff.yaml", "testdata/compare/drift.yaml"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var cases []map[string]any
		if err := yaml.Unmarshal(raw, &cases); err != nil {
			f.Fatal(err)
		}
		for _, c := range cases {
			a, errA := yaml.Marshal(c["before"])
			b, errB := yaml.Marshal(c["after"])
			if c["before"] == nil {
				a, errA = yaml.Marshal(c["applied"])
				b, errB = yaml.Marshal(c["live"])
			}
			if errA != nil || errB != nil {
				f.Fatal(errA, errB)
			}
			f.Add(a, b)
		}
	}
	f.Add([]byte(`{resources: {limits: {cpu: 500m, memory: 1Gi}}}`), []byte(`{resources: {limits: {cpu: 0.5, memory: 1024Mi}}}`))
	f.Fuzz(func(t *testing.T, rawA, rawB []byte) {
		var a, b map[string]any
		if yaml.Unmarshal(rawA, &a) != nil || yaml.Unmarshal(rawB, &b) != nil {
			return
		}
		for _, o := range []map[string]any{a, b} {
			if d := diffObjects(o, deepCopy(o).(map[string]any)); len(d) != 0 {
				t.Fatalf("an object differs from its copy: %+v", d)
			}
			if d := driftOf(o, o); len(d) != 0 {
				t.Fatalf("an object drifts from itself: %+v", d)
			}
			before := deepCopy(o)
			s := strip(o, DefaultIgnore())
			if !reflect.DeepEqual(before, deepCopy(o)) {
				t.Fatalf("strip changed its input")
			}
			if again := strip(s, DefaultIgnore()); !reflect.DeepEqual(again, s) {
				t.Fatalf("stripped twice: %v, once: %v", again, s)
			}
		}
		ab, ba := mirrored(diffObjects(a, b)), opsOf(diffObjects(b, a))
		if !slices.Equal(ab, ba) {
			t.Fatalf("a to b, mirrored: %q; b to a: %q", ab, ba)
		}
	})
}

// opsOf lists the changes as sorted "op path" lines.
func opsOf(changes []FieldChange) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = string(c.Op) + " " + c.Path
	}
	slices.Sort(out)
	return out
}

// mirrored is opsOf the changes seen the other way round: an addition becomes a removal.
func mirrored(changes []FieldChange) []string {
	swapped := make([]FieldChange, len(changes))
	for i, c := range changes {
		swapped[i] = c
		switch c.Op {
		case FieldAdd:
			swapped[i].Op = FieldRemove
		case FieldRemove:
			swapped[i].Op = FieldAdd
		}
	}
	return opsOf(swapped)
}
