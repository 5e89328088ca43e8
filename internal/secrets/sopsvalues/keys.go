package sopsvalues

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// KMSKey is an AWS KMS key that holds the data key of a SOPS file, as the file's metadata
// lists it. Whoever decrypts the file needs kms:Decrypt on it.
type KMSKey struct {
	// ARN is the key's ARN (or an alias ARN), as SOPS wrote it.
	ARN string
	// Role is the IAM role SOPS assumes to use the key; empty when it uses the credentials it
	// runs with.
	Role string
	// Profile is the AWS profile whose credentials SOPS uses for the key; empty for the
	// default chain.
	Profile string
	// Context is the encryption context the data key was encrypted with; nil for none.
	Context map[string]string
	// OtherKeys: every key group that lists the key lists other keys too (age, PGP, another
	// KMS key, ...), any of which can stand in for it. When it is false, decrypting the file
	// needs this key.
	OtherKeys bool
}

// kmsKeysGroupFields are the master key lists SOPS writes into a key group.
var kmsKeysGroupFields = []string{"kms", "age", "pgp", "gcp_kms", "azure_kv", "hc_vault", "hckms"}

// KMSKeys lists the AWS KMS keys of a SOPS-encrypted YAML or JSON document: those of its
// sops.kms list and of the kms lists of its sops.key_groups, in file order, each once. It reads
// the sops metadata alone and decrypts nothing. A document without sops metadata, or whose
// metadata names no KMS key, has none. Errors name the field that is malformed, never a value
// of the document.
func KMSKeys(data []byte) ([]KMSKey, error) {
	meta, err := kmsKeysMetadata(data)
	if err != nil || meta == nil {
		return nil, err
	}
	var out []KMSKey
	seen := map[string]int{}
	add := func(where string, group map[string]any) error {
		keys, err := kmsKeysList(where, group["kms"])
		others := kmsKeysInGroup(group) > 1
		for _, k := range keys {
			id := kmsKeysIdentity(k)
			if i, ok := seen[id]; ok {
				out[i].OtherKeys = out[i].OtherKeys && others
				continue
			}
			seen[id] = len(out)
			k.OtherKeys = others
			out = append(out, k)
		}
		return err
	}
	if err := add("sops.kms", meta); err != nil {
		return nil, err
	}
	groups, ok := meta["key_groups"].([]any)
	if !ok && meta["key_groups"] != nil {
		return nil, errors.New("sops.key_groups is not a list")
	}
	for i, g := range groups {
		gm, ok := g.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("sops.key_groups[%d] is not a mapping", i)
		}
		if err := add(fmt.Sprintf("sops.key_groups[%d].kms", i), gm); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// kmsKeysMetadata decodes data (JSON when it is a JSON object, else YAML) and returns its
// top-level sops mapping, or nil when it has none.
func kmsKeysMetadata(data []byte) (map[string]any, error) {
	var top any
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		if err := json.Unmarshal(t, &top); err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				return nil, fmt.Errorf("the document is not valid JSON: syntax error at byte %d", syn.Offset)
			}
			return nil, errors.New("the document is not valid JSON")
		}
	} else if err := yaml.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("the document is not valid YAML: %w", err)
	}
	if top == nil {
		return nil, nil
	}
	m, ok := kmsKeysMapping(top)
	if !ok {
		return nil, errors.New("the document is not a mapping")
	}
	raw, ok := m["sops"]
	if !ok || raw == nil {
		return nil, nil
	}
	meta, ok := kmsKeysMapping(raw)
	if !ok {
		return nil, errors.New("its sops key is not a mapping")
	}
	return meta, nil
}

// kmsKeysList reads one kms list of the metadata.
func kmsKeysList(where string, list any) ([]KMSKey, error) {
	if list == nil {
		return nil, nil
	}
	entries, ok := list.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a list", where)
	}
	var out []KMSKey
	for i, e := range entries {
		em, ok := kmsKeysMapping(e)
		if !ok {
			return out, fmt.Errorf("%s[%d] is not a mapping", where, i)
		}
		k := KMSKey{ARN: kmsKeysScalar(em["arn"]), Role: kmsKeysScalar(em["role"]), Profile: kmsKeysScalar(em["aws_profile"])}
		if k.ARN == "" {
			return out, fmt.Errorf("%s[%d] has no arn", where, i)
		}
		if ctx, ok := kmsKeysMapping(em["context"]); ok && len(ctx) > 0 {
			k.Context = map[string]string{}
			for name, v := range ctx {
				k.Context[name] = kmsKeysScalar(v)
			}
		}
		out = append(out, k)
	}
	return out, nil
}

// kmsKeysInGroup counts the master keys of a key group, of every type.
func kmsKeysInGroup(group map[string]any) int {
	n := 0
	for _, f := range kmsKeysGroupFields {
		if list, ok := group[f].([]any); ok {
			n += len(list)
		}
	}
	return n
}

// kmsKeysMapping accepts a mapping with string keys, as JSON and YAML decode them.
func kmsKeysMapping(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, e := range m {
			out[fmt.Sprint(k)] = e
		}
		return out, true
	}
	return nil, false
}

// kmsKeysScalar reads a metadata scalar as text: numbers and booleans written out, anything
// else empty.
func kmsKeysScalar(v any) string {
	switch s := v.(type) {
	case string:
		return strings.TrimSpace(s)
	case int:
		return strconv.Itoa(s)
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(s)
	}
	return ""
}

// kmsKeysIdentity tells keys apart: the same key under another role, profile or context is
// used differently.
func kmsKeysIdentity(k KMSKey) string {
	var b strings.Builder
	b.WriteString(k.ARN + "\x00" + k.Role + "\x00" + k.Profile)
	for _, name := range slices.Sorted(maps.Keys(k.Context)) {
		b.WriteString("\x00" + name + "=" + k.Context[name])
	}
	return b.String()
}
