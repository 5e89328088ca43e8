package chartlock

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode reads arbitrary kaji.lock text. Whatever the input: a file that decodes encodes
// to the canonical form, which decodes to the same entries and encodes to the same bytes; a
// file that does not decode says why with problems at lines inside the file.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob("testdata/*")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Decode("kaji.lock", data)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("error %v: want Problems", err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, p := range ps {
				if p.Pos.File != "kaji.lock" || p.Pos.Line < 0 || p.Pos.Line > lines+1 || p.Message == "" {
					t.Errorf("problem %q: want it in kaji.lock within lines 0..%d, with a message", p, lines+1)
				}
			}
			return
		}
		enc, err := file.Encode()
		if err != nil {
			t.Fatalf("a decoded file does not encode: %v", err)
		}
		back, err := Decode("kaji.lock", enc)
		if err != nil {
			t.Fatalf("the encoded file does not decode: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(back.Entries, file.Entries) {
			t.Fatalf("round trip changed the entries:\n%+v\n%+v", file.Entries, back.Entries)
		}
		again, err := back.Encode()
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("encoded twice, the bytes differ (%v):\n%s\n%s", err, enc, again)
		}
	})
}
