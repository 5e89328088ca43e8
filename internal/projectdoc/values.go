package projectdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/secrets/sopsvalues"
	"kaji.dev/kaji/internal/spec"
)

// layer is one values layer of a release as written, to tell which layer sets a value and
// whether it is encrypted there.
type layer struct {
	vals map[string]any
	// from names the layer on the page.
	from string
	// encrypted says that the layer is a SOPS file.
	encrypted bool
}

// readLayers reads the layers of r as they are written. An encrypted file is read without
// being decrypted: its keys as they are, its values as SOPS stores them.
func readLayers(res *spec.Resolved, r spec.ResolvedRelease) ([]layer, error) {
	out := make([]layer, 0, len(r.Values))
	for _, l := range r.Values {
		if l.File == "" {
			out = append(out, layer{vals: l.Inline, from: relative(res, l.Origin.File)})
			continue
		}
		data, err := spec.ReadFile(l.File)
		if err != nil {
			return nil, fmt.Errorf("values file %s (declared at %s): %w", l.File, l.Origin, err)
		}
		var m map[string]any
		if err := sigsyaml.Unmarshal(data, &m); err != nil {
			return nil, fmt.Errorf("parse %s: %w", l.File, err)
		}
		enc := sopsvalues.IsSOPS(data)
		if enc {
			delete(m, "sops")
		}
		out = append(out, layer{vals: m, from: relative(res, l.File), encrypted: enc})
	}
	return out, nil
}

// relative names a file as the page shows it: relative to kaji.yaml's directory, even
// outside it (../charts/app), so that the page is the same wherever the project is checked
// out. file may be relative to the working directory, as positions in kaji.yaml are.
func relative(res *spec.Resolved, file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return file
	}
	dir, err := filepath.Abs(res.Dir)
	if err != nil {
		return file
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return file
	}
	return filepath.ToSlash(rel)
}

// encryptedValue is a value as SOPS stores it encrypted.
var encryptedValue = regexp.MustCompile(`^ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:[a-z]+\]$`)

// holdsEncrypted reports whether v is, or holds, a value that SOPS encrypted.
func holdsEncrypted(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			if holdsEncrypted(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if holdsEncrypted(e) {
				return true
			}
		}
	case string:
		return encryptedValue.MatchString(v)
	}
	return false
}

// differing lists the values of merged (the user's values, merged) that differ from the
// chart's defaults, in key order. A map is compared key by key; anything else, lists
// included, as a whole. A value that an encrypted layer sets encrypted is always listed, as
// a secret: offline, what it holds is unknown.
func differing(merged, defaults map[string]any, layers []layer) ([]Value, error) {
	user, err := normalise(merged)
	if err != nil {
		return nil, err
	}
	def, err := normalise(defaults)
	if err != nil {
		return nil, err
	}
	var out []Value
	var walk func(keys []any, u any, d any, hasDefault bool) error
	walk = func(keys []any, u any, d any, hasDefault bool) error {
		um, isMap := u.(map[string]any)
		if _, defMap := d.(map[string]any); isMap && len(um) == 0 && keys != nil && defMap {
			return nil // an empty map over a map of defaults changes nothing
		}
		if isMap && (len(um) > 0 || keys == nil) {
			dm, _ := d.(map[string]any)
			for _, k := range slices.Sorted(maps.Keys(um)) {
				dv, ok := dm[k]
				if err := walk(append(slices.Clone(keys), k), um[k], dv, ok); err != nil {
					return err
				}
			}
			return nil
		}
		from, raw := setBy(layers, keys)
		if from != nil && from.encrypted && holdsEncrypted(raw) {
			out = append(out, Value{Path: secrets.FormatPath(keys), Kind: ValueSecret, Text: "(secret from " + from.from + ")", From: from.from})
			return nil
		}
		text, err := compact(u)
		if err != nil {
			return err
		}
		if u == nil && !hasDefault {
			return nil // null removes a default; without one it changes nothing
		}
		if hasDefault {
			dt, err := compact(d)
			if err != nil {
				return err
			}
			if dt == text {
				return nil
			}
		}
		v := Value{Path: secrets.FormatPath(keys), Kind: ValuePlain, Text: text}
		if s, ok := u.(string); ok {
			if _, isRef, _ := secrets.Parse(s); isRef {
				v.Kind, v.Text = ValueReference, s
			}
		}
		if from != nil {
			v.From = from.from
		}
		out = append(out, v)
		return nil
	}
	if err := walk(nil, user, def, true); err != nil {
		return nil, err
	}
	return out, nil
}

// setBy returns the last layer that sets the value at keys, and what it writes there.
func setBy(layers []layer, keys []any) (*layer, any) {
	for i := len(layers) - 1; i >= 0; i-- {
		var v any = layers[i].vals
		found := true
		for _, k := range keys {
			m, ok := v.(map[string]any)
			if !ok {
				found = false
				break
			}
			if v, ok = m[k.(string)]; !ok {
				found = false
				break
			}
		}
		if found {
			return &layers[i], v
		}
	}
	return nil, nil
}

// normalise makes v plain JSON data (maps, lists, strings, json.Numbers, bools), so that the
// user's values and the chart's defaults, decoded differently, compare alike.
func normalise(v map[string]any) (map[string]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("values as JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out map[string]any
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("values as JSON: %w", err)
	}
	return out, nil
}

// compact is v as compact JSON, keys sorted, HTML characters as they are.
func compact(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("value as JSON: %w", err)
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
