package savedplan_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/savedplan"
)

// FuzzDecode reads arbitrary text as a saved plan. Whatever the input, an error names the
// file; a plan that decodes encodes to bytes that decode to the same plan and encode to the
// same bytes, so that no edit of a file that kaji accepts changes what apply checks.
func FuzzDecode(f *testing.F) {
	seed, err := sample(f, project(f)).Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(bytes.Replace(seed, []byte("revision: 3"), []byte("revision: 4"), 1))
	f.Add([]byte("apiVersion: kaji.dev/plan/v1\nkind: Plan\n"))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := savedplan.Decode("plan.yaml", data)
		if err != nil {
			if !strings.Contains(err.Error(), "plan.yaml") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		enc, err := file.Encode()
		if err != nil {
			t.Fatalf("a decoded plan does not encode: %v", err)
		}
		back, err := savedplan.Decode("plan.yaml", enc)
		if err != nil {
			t.Fatalf("the encoded plan does not decode: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(back, file) {
			t.Fatalf("round trip changed the plan:\n%+v\n%+v", file, back)
		}
		again, err := back.Encode()
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("encoded twice, the bytes differ (%v)", err)
		}
	})
}
