// Package digest hashes what kaji compares from one run to the next: fields, each written
// with its length first so that no two lists of fields write the same bytes, values as JSON,
// and a chart's content.
package digest

import (
	"encoding/json"
	"hash"
)

// Field writes s to h with its length first, so that no two lists of fields write the same
// bytes.
func Field(h hash.Hash, s string) {
	var n [8]byte
	for i, l := 0, len(s); i < 8; i, l = i+1, l>>8 {
		n[i] = byte(l)
	}
	h.Write(n[:])
	h.Write([]byte(s))
}

// JSON writes v to h as JSON, whose maps encoding/json sorts by key, as one Field.
func JSON(h hash.Hash, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// What kaji hashes comes from YAML and JSON, so this does not happen; an error in the
		// digest is still a digest that changes with the other fields.
		b = []byte("error: " + err.Error())
	}
	Field(h, string(b))
}
