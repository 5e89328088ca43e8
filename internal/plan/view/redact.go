package view

import (
	"encoding/base64"
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"

	"kaji.dev/kaji/internal/plan"
)

// redactObjects returns copies of the two versions of a Secret in which every value of data
// and stringData is replaced by its size, marked when it changes between them. Other objects
// are returned as they are.
func redactObjects(ref plan.ObjectRef, before, after map[string]any) (map[string]any, map[string]any) {
	if ref.Group != "" || ref.Kind != "Secret" {
		return before, after
	}
	before, after = maps.Clone(before), maps.Clone(after)
	for _, field := range []string{"data", "stringData"} {
		b, _ := before[field].(map[string]any)
		a, _ := after[field].(map[string]any)
		if b != nil {
			rb := map[string]any{}
			for k, v := range b {
				rb[k] = fmt.Sprintf("<redacted: %s>", size(field, v))
			}
			before[field] = rb
		}
		if a != nil {
			ra := map[string]any{}
			for k, v := range a {
				mark := ""
				if old, ok := b[k]; b != nil && (!ok || old != v) {
					mark = ", changed"
				}
				ra[k] = fmt.Sprintf("<redacted: %s%s>", size(field, v), mark)
			}
			after[field] = ra
		}
	}
	return before, after
}

// redactField describes a change of a Secret's data without its values: "changed (12 bytes →
// 14 bytes)".
func redactField(f plan.FieldChange) string {
	field := "data"
	if strings.HasPrefix(f.Path, "stringData") {
		field = "stringData"
	}
	switch f.Op {
	case plan.FieldAdd:
		return fmt.Sprintf("added (%s)", size(field, f.New))
	case plan.FieldRemove:
		return fmt.Sprintf("removed (%s)", size(field, f.Old))
	}
	return fmt.Sprintf("changed (%s → %s)", size(field, f.Old), size(field, f.New))
}

// size is the size of a Secret value: decoded bytes under data, bytes under stringData, keys
// for a whole map.
func size(field string, v any) string {
	switch t := v.(type) {
	case string:
		n := len(t)
		if field == "data" {
			if b, err := base64.StdEncoding.DecodeString(t); err == nil {
				n = len(b)
			}
		}
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	case map[string]any:
		return fmt.Sprintf("%d key(s)", len(t))
	case nil:
		return "nothing"
	}
	return "a value"
}

// decodeSecret returns a copy of a Secret whose data values are decoded, when they are text,
// so that --show-secrets shows them readably. Other objects are returned as they are.
func decodeSecret(ref plan.ObjectRef, obj map[string]any) map[string]any {
	data, ok := obj["data"].(map[string]any)
	if ref.Group != "" || ref.Kind != "Secret" || !ok {
		return obj
	}
	decoded := map[string]any{}
	for k, v := range data {
		decoded[k] = v
		if s, ok := v.(string); ok {
			if b, err := base64.StdEncoding.DecodeString(s); err == nil && utf8.Valid(b) {
				decoded[k] = string(b)
			}
		}
	}
	obj = maps.Clone(obj)
	obj["data"] = decoded
	return obj
}
