// Package sopsvalues reads SOPS-encrypted values files in memory. It reads the SOPS file format
// itself (YAML or JSON documents whose values are AES-256-GCM ciphertexts, a SHA-512 MAC over
// them, and the data key encrypted for each master key) and decrypts the data key with age
// identities or AWS KMS only, so that kaji does not link the key services of sops.
package sopsvalues

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Errors that Decrypt wraps, for callers that tell the cases apart with errors.Is.
var (
	// ErrNotSOPS: the file has no complete SOPS metadata (no sops key, no mac, or no key).
	ErrNotSOPS = errors.New("not a SOPS-encrypted document")
	// ErrNoKey: none of the file's keys could decrypt its data key.
	ErrNoKey = errors.New("no key could decrypt the SOPS data key")
	// ErrTampered: the file fails its integrity check (MAC mismatch or a value that does not
	// decrypt with the data key).
	ErrTampered = errors.New("the SOPS file fails its integrity check")
	// ErrDecrypt: the document could not be decrypted in another way (metadata or values SOPS
	// would not have written); the message never quotes a value.
	ErrDecrypt = errors.New("SOPS could not decrypt the document")
)

// The formats kaji decrypts, named as sops names its stores.
const (
	formatYAML = "yaml"
	formatJSON = "json"
)

// sopsKey is the top-level key under which SOPS keeps its metadata.
const sopsKey = "sops"

// document is what IsSOPS reads of a file: its format, its top-level mapping and whether its
// sops metadata is complete.
type document struct {
	format  string // "yaml" or "json"
	tree    map[string]any
	keys    []string // "age age1...", "AWS KMS arn:...", by kind
	mac     string
	hasSOPS bool
}

// IsSOPS reports whether data is a SOPS-encrypted YAML or JSON document: a mapping with a
// top-level sops key that holds a mac and at least one key group. A document whose sops key is
// incomplete is not SOPS; Decrypt says what it lacks.
func IsSOPS(data []byte) bool {
	doc, err := read("", data)
	return err == nil && doc.complete() == nil
}

// Decrypt decrypts a SOPS-encrypted YAML or JSON document in memory and returns the plain
// document in the same format, as sops decrypt writes it. file names the document in errors
// and chooses the format by its extension (.json, .yaml, .yml; otherwise the content decides).
// Keys are found as SOPS finds them: age identities from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE or
// SOPS_AGE_KEY_CMD (or the user's sops/age/keys.txt), AWS KMS through the ambient AWS
// credentials. Every value and the MAC are checked. Errors name the file and never quote a
// value of the document.
func Decrypt(file string, data []byte) ([]byte, error) {
	doc, err := read(file, data)
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w: %w", file, ErrNotSOPS, err)
	}
	if err := doc.complete(); err != nil {
		return nil, fmt.Errorf("decrypt %s: %w: %w; encrypt it with sops, or list it as a plain values file", file, ErrNotSOPS, err)
	}
	docs, err := load(doc.format, data)
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w: %w; check the file with sops decrypt", file, ErrDecrypt, err)
	}
	docs, meta, err := extractMetadata(docs)
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w: %w; restore the file from version control, or run sops decrypt on it to see what sops makes of it", file, ErrDecrypt, err)
	}
	key, err := meta.dataKey(context.Background())
	if err != nil {
		return nil, explain(file, meta, err)
	}
	mac, err := decryptTree(docs, &meta, key)
	if err != nil {
		return nil, explain(file, meta, err)
	}
	stored, err := decryptValue(meta.mac, key, meta.lastModified.Format(time.RFC3339))
	if err != nil {
		return nil, explain(file, meta, &tamperError{reason: "its MAC does not decrypt with its data key and lastmodified"})
	}
	if s, ok := stored.(string); !ok || s != mac {
		return nil, explain(file, meta, &tamperError{reason: "its MAC does not match its values"})
	}
	var out []byte
	if doc.format == formatJSON {
		out, err = emitJSON(docs)
	} else {
		out, err = emitYAML(docs)
	}
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w: %w", file, ErrDecrypt, err)
	}
	return out, nil
}

// load reads the document as the SOPS store of its format does.
func load(format string, data []byte) ([]branch, error) {
	if format == formatJSON {
		return loadJSON(data)
	}
	return loadYAML(data)
}

// explain names the file and says what to do for the errors met from the data key on.
func explain(file string, meta metadata, err error) error {
	var noKey *noKeyError
	var tamper *tamperError
	switch {
	case errors.As(err, &noKey):
		return &decryptError{msg: fmt.Sprintf("decrypt %s: %v; %s", file, noKey, keyHint(meta.groups)), errs: []error{noKey}}
	case errors.As(err, &tamper):
		return fmt.Errorf("decrypt %s: %w: %s, so it was changed after it was encrypted; restore it from version control, or edit it only with sops",
			file, ErrTampered, tamper)
	}
	return fmt.Errorf("decrypt %s: %w: %w; check the file with sops decrypt", file, ErrDecrypt, err)
}

// decryptError carries kaji's message and, for errors.Is and errors.As, the errors it renders.
type decryptError struct {
	msg  string
	errs []error
}

func (e *decryptError) Error() string   { return e.msg }
func (e *decryptError) Unwrap() []error { return e.errs }

// complete says what the sops metadata lacks, or nil.
func (d document) complete() error {
	switch {
	case !d.hasSOPS:
		return errors.New("it has no sops metadata key")
	case d.mac == "":
		return errors.New("its sops metadata has no mac")
	case len(d.keys) == 0:
		return errors.New("its sops metadata names no key")
	}
	return nil
}

// read parses data as the format file implies and reads its sops metadata. Parse errors carry
// positions, never content.
func read(file string, data []byte) (document, error) {
	doc := document{format: formatOf(file, data)}
	var top any
	if doc.format == formatJSON {
		if err := json.Unmarshal(data, &top); err != nil {
			return doc, fmt.Errorf("it is not valid JSON: %w", jsonPosition(err))
		}
	} else if err := yaml.Unmarshal(data, &top); err != nil {
		return doc, fmt.Errorf("it is not valid YAML: %w", err)
	}
	tree, ok := top.(map[string]any)
	if m, isAny := top.(map[any]any); isAny {
		// A mapping with a key that is not a string: SOPS refuses it when it decrypts, and
		// Decrypt says so; it is SOPS all the same if its sops key is complete.
		tree, ok = map[string]any{}, true
		for k, v := range m {
			tree[fmt.Sprint(k)] = v
		}
	}
	if !ok {
		return doc, errors.New("it is not a mapping")
	}
	doc.tree = tree
	meta, ok := tree[sopsKey]
	if !ok {
		return doc, nil
	}
	m, ok := meta.(map[string]any)
	if !ok {
		return doc, errors.New("its sops key is not a mapping")
	}
	doc.hasSOPS = true
	doc.mac, _ = m["mac"].(string)
	doc.keys = keysOf(m)
	if groups, ok := m["key_groups"].([]any); ok {
		for _, g := range groups {
			if gm, ok := g.(map[string]any); ok {
				doc.keys = append(doc.keys, keysOf(gm)...)
			}
		}
	}
	return doc, nil
}

// keysOf lists the master keys of one key group.
func keysOf(group map[string]any) []string {
	var out []string
	for _, kt := range keyKinds {
		list, _ := group[kt.field].([]any)
		for _, k := range list {
			km, ok := k.(map[string]any)
			if !ok {
				continue
			}
			id, _ := km[kt.id].(string)
			out = append(out, strings.TrimSpace(kt.name+" "+id))
		}
	}
	return out
}

// formatOf chooses the SOPS store: the extension first, as SOPS does, then the content.
func formatOf(file string, data []byte) string {
	switch strings.ToLower(filepath.Ext(file)) {
	case ".json":
		return formatJSON
	case ".yaml", ".yml":
		return formatYAML
	}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' && json.Valid(t) {
		return formatJSON
	}
	return formatYAML
}

// jsonPosition keeps a JSON syntax error's offset and drops anything that may quote content.
func jsonPosition(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("syntax error at byte %d", syn.Offset)
	}
	return errors.New("syntax error")
}
