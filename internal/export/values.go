package export

import (
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
	"kaji.dev/kaji/internal/values"
)

// fromSOPS marks, in the merged values, what an encrypted values file sets.
const fromSOPS = "kaji-export: set by an encrypted values file (5c1d8e0a)"

// splitValues merges the values of r as kaji merges them, and takes out what holds a secret:
// what an encrypted (SOPS) values file sets, and the secret references. Neither is read: an
// encrypted file's keys are read without decrypting it, and a reference stays a reference.
// Each becomes a key of the release's Secret, which the engine merges under the inline
// values, as kaji merges the layers.
func splitValues(res *spec.Resolved, r spec.ResolvedRelease) (map[string]any, []SecretValue, error) {
	secretName := r.Name + "-secret-values"
	keys := map[string]bool{}
	key := func(s string) string {
		k := validKey.ReplaceAllString(s, "_")
		for i := 2; keys[k]; i++ {
			k = fmt.Sprintf("%s-%d", validKey.ReplaceAllString(s, "_"), i)
		}
		keys[k] = true
		return k
	}

	var out []SecretValue
	layers := make([]spec.ValuesLayer, 0, len(r.Values))
	for _, l := range r.Values {
		if l.File == "" {
			layers = append(layers, l)
			continue
		}
		data, err := spec.ReadFile(l.File)
		if err != nil {
			return nil, nil, fmt.Errorf("values file %s (declared at %s): %w", l.File, l.Origin, err)
		}
		if !sopsvalues.IsSOPS(data) {
			layers = append(layers, l)
			continue
		}
		plain, err := sopsvalues.Placeholders(data)
		if err != nil {
			return nil, nil, fmt.Errorf("read the keys of the encrypted values file %s (declared at %s): %w; check it with sops decrypt", l.File, l.Origin, err)
		}
		var tree map[string]any
		if err := sigsyaml.Unmarshal(plain, &tree); err != nil {
			return nil, nil, fmt.Errorf("read the keys of the encrypted values file %s: %w", l.File, err)
		}
		layers = append(layers, spec.ValuesLayer{Inline: markSOPS(tree).(map[string]any), Origin: l.Origin})
		out = append(out, SecretValue{Secret: secretName, Key: key(filepath.Base(l.File)), File: res.DisplayPath(l.File)})
	}
	merged, err := values.Merge(layers)
	if err != nil {
		return nil, nil, err
	}
	removeMarked(merged)

	lists := map[string]bool{}
	for _, f := range secrets.Scan(merged) {
		if i := slices.IndexFunc(f.Keys, func(k any) bool { _, ok := k.(int); return ok }); i >= 0 {
			// A list merges whole: the Secret's key holds a document that sets it all.
			list := secrets.FormatPath(f.Keys[:i])
			if !lists[list] {
				lists[list] = true
				out = append(out, SecretValue{Secret: secretName, Key: key(list), ValuesPath: list, Ref: f.Ref.Raw})
			}
			removePath(merged, f.Keys[:i])
			continue
		}
		out = append(out, SecretValue{Secret: secretName, Key: key(f.Path), TargetPath: targetPath(f.Keys), ValuesPath: f.Path, Ref: f.Ref.Raw})
		removePath(merged, f.Keys)
	}
	return merged, out, nil
}

// validKey is what a Secret's data key may not hold.
var validKey = regexp.MustCompile(`[^-._a-zA-Z0-9]`)

// markSOPS replaces every scalar and every list of an encrypted file's tree with fromSOPS.
func markSOPS(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return fromSOPS
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = markSOPS(e)
	}
	return out
}

// removeMarked deletes what an encrypted file set, and the maps that leaves empty.
func removeMarked(m map[string]any) {
	for k, v := range m {
		switch v := v.(type) {
		case string:
			if v == fromSOPS {
				delete(m, k)
			}
		case map[string]any:
			if len(v) == 0 {
				continue
			}
			removeMarked(v)
			if len(v) == 0 {
				delete(m, k)
			}
		}
	}
}

// removePath deletes the value at keys (map keys only), and the maps that leaves empty.
func removePath(m map[string]any, keys []any) {
	k, ok := keys[0].(string)
	if !ok {
		return
	}
	if len(keys) == 1 {
		delete(m, k)
		return
	}
	child, ok := m[k].(map[string]any)
	if !ok {
		return
	}
	removePath(child, keys[1:])
	if len(child) == 0 {
		delete(m, k)
	}
}

// plainTargetKey is a key that Flux's targetPath takes as it is (a dot is escaped).
var plainTargetKey = regexp.MustCompile(`^[-_a-zA-Z0-9./]+$`)

// targetPath writes map keys in Helm's --set syntax, as Flux's valuesFrom targetPath takes
// them; "" when a key has a character that the syntax cannot hold.
func targetPath(keys []any) string {
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		s, _ := k.(string)
		if !plainTargetKey.MatchString(s) {
			return ""
		}
		parts = append(parts, strings.ReplaceAll(s, ".", `\.`))
	}
	return strings.Join(parts, ".")
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
