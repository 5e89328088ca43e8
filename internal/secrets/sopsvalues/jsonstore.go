package sopsvalues

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// loadJSON reads a JSON object into a branch, as SOPS' JSON store does: keys in document
// order (duplicates kept), integers that fit in 64 bits as int and other numbers as float64.
func loadJSON(data []byte) ([]branch, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("it is not valid JSON: %w", jsonPosition(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("it is not a JSON object; SOPS reads JSON documents that are objects")
	}
	b, err := jsonObject(dec)
	if err != nil {
		return nil, fmt.Errorf("it is not valid JSON: %w", jsonPosition(err))
	}
	return []branch{b}, nil
}

// jsonObject reads the members of an object whose { has been read, and its }.
func jsonObject(dec *json.Decoder) (branch, error) {
	b := branch{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return b, nil
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("an object key is not a string")
		}
		v, err := jsonValue(dec)
		if err != nil {
			return nil, err
		}
		b = append(b, item{key: key, value: v})
	}
}

// jsonArray reads the elements of an array whose [ has been read, and its ].
func jsonArray(dec *json.Decoder) ([]any, error) {
	var l []any
	for {
		if !dec.More() {
			if _, err := dec.Token(); err != nil { // the closing ]
				return nil, err
			}
			return l, nil
		}
		v, err := jsonValue(dec)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
	}
}

func jsonValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return jsonObject(dec)
		}
		return jsonArray(dec)
	case json.Number:
		if i, err := t.Int64(); err == nil {
			return int(i), nil
		}
		f, err := t.Float64()
		if err != nil {
			return nil, errors.New("a number is out of the range of a 64-bit float")
		}
		return f, nil
	}
	return tok, nil // string, bool or nil
}

// emitJSON writes the branch as SOPS' JSON store does: members in order, comments dropped,
// scalars as encoding/json writes them, indented with tabs, and a final newline.
func emitJSON(branches []branch) ([]byte, error) {
	if len(branches) != 1 {
		return nil, fmt.Errorf("a JSON document holds one object, not %d", len(branches))
	}
	var compact bytes.Buffer
	if err := jsonEncode(&compact, branches[0]); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", "\t"); err != nil {
		return nil, fmt.Errorf("indent the decrypted JSON: %w", jsonPosition(err))
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func jsonEncode(buf *bytes.Buffer, v any) error {
	switch t := v.(type) {
	case branch:
		buf.WriteByte('{')
		first := true
		for _, it := range t {
			key, ok := it.key.(string)
			if !ok {
				continue // a comment
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			k, err := json.Marshal(key)
			if err != nil {
				return fmt.Errorf("encode a key of the decrypted JSON: %w", err)
			}
			buf.Write(k)
			buf.WriteString(": ")
			if err := jsonEncode(buf, it.value); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		first := true
		for _, e := range t {
			if _, ok := e.(comment); ok {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			if err := jsonEncode(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		b, err := json.Marshal(v)
		if err != nil {
			// encoding/json names the type or the float that cannot be written, never a string.
			return fmt.Errorf("encode a value of the decrypted JSON: %T cannot be written as JSON", v)
		}
		buf.Write(b)
	}
	return nil
}
