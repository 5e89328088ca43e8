// Package sopsvalues reads SOPS-encrypted values files in memory. It stands apart from the
// rest of internal/secrets because sops' decrypt package links every key service sops supports
// (about 40 MB): only what decrypts values files imports it.
package sopsvalues

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/decrypt"
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
	// ErrDecrypt: SOPS failed in another way; its message is withheld because it may quote values.
	ErrDecrypt = errors.New("SOPS could not decrypt the document")
)

// The formats kaji decrypts, named as decrypt.Data takes them.
const (
	formatYAML = "yaml"
	formatJSON = "json"
)

// sopsKey is the top-level key under which SOPS keeps its metadata.
const sopsKey = "sops"

// keyTypes are the master key lists SOPS writes into its metadata (at the top level for one
// key group, under key_groups for several), with the name kaji shows for each and the field
// that identifies one key.
var keyTypes = []struct{ field, name, id string }{
	{"age", "age", "recipient"},
	{"kms", "AWS KMS", "arn"},
	{"pgp", "PGP", "fp"},
	{"gcp_kms", "GCP KMS", "resource_id"},
	{"azure_kv", "Azure Key Vault", "vault_url"},
	{"hc_vault", "HashiCorp Vault", "vault_address"},
	{"hckms", "HuaweiCloud KMS", "key_id"},
}

// document is what kaji reads of a SOPS file before handing it to SOPS.
type document struct {
	format  string // "yaml" or "json", as decrypt.Data takes it
	tree    map[string]any
	keys    []string // "age age1...", "AWS KMS arn:..." in file order
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
// document in the same format. file names the document in errors and chooses the format by its
// extension (.json, .yaml, .yml; otherwise the content decides). Keys are found as SOPS finds
// them: age identities from SOPS_AGE_KEY, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY_CMD (or the user's
// sops/age/keys.txt), AWS KMS through the ambient AWS credentials. Errors name the file and
// never quote a value of the document.
func Decrypt(file string, data []byte) ([]byte, error) {
	doc, err := read(file, data)
	if err != nil {
		return nil, fmt.Errorf("decrypt %s: %w: %w", file, ErrNotSOPS, err)
	}
	if err := doc.complete(); err != nil {
		return nil, fmt.Errorf("decrypt %s: %w: %w; encrypt it with sops, or list it as a plain values file", file, ErrNotSOPS, err)
	}
	plain, err := decrypt.Data(data, doc.format)
	if err != nil {
		return nil, doc.explain(file, err)
	}
	return plain, nil
}

// explain turns an error of SOPS into one that names the file, says what to do, and quotes
// SOPS only where its message cannot hold a value: the data-key errors, raised before any value
// is decrypted.
func (d document) explain(file string, err error) error {
	var keyErr sops.UserError
	if errors.As(err, &keyErr) {
		return &decryptError{
			msg: fmt.Sprintf("decrypt %s: %v (tried %s): %s; SOPS said: %s",
				file, ErrNoKey, strings.Join(d.keys, ", "), d.keyHint(), keyReport(keyErr.UserError())),
			errs: []error{ErrNoKey, err},
		}
	}
	msg := err.Error()
	for _, c := range tamperSigns {
		if strings.Contains(msg, c.sign) {
			return fmt.Errorf("decrypt %s: %w: %s, so it was changed after it was encrypted; restore it from version control, or edit it only with sops",
				file, ErrTampered, c.reason)
		}
	}
	return fmt.Errorf("decrypt %s: %w (its message is withheld because it may quote values); run sops decrypt on the file to see it", file, ErrDecrypt)
}

// tamperSigns tell the integrity failures apart by the words of SOPS' messages, which kaji
// does not repeat: they may quote the MAC or a value typed into the file by hand. The first
// that matches wins.
var tamperSigns = []struct{ sign, reason string }{
	{"Failed to verify data integrity", "its MAC does not match its values"},
	{"Failed to decrypt original mac", "its MAC does not decrypt with its data key and lastmodified"},
	{"does not match sops' data format", "a value is not SOPS ciphertext"},
	{"Could not decrypt value", "a value does not decrypt with its data key at its path"},
}

// keyHint says what to set for the key types the file uses.
func (d document) keyHint() string {
	var hints []string
	if d.uses("age ") {
		hints = append(hints, "for age, set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE to the identity (AGE-SECRET-KEY-...) of one of the recipients")
	}
	if d.uses("AWS KMS ") {
		hints = append(hints, "for AWS KMS, give kaji AWS credentials (AWS_PROFILE, environment or instance role) allowed kms:Decrypt on the key")
	}
	if len(hints) == 0 {
		return "kaji decrypts SOPS files with age or AWS KMS keys; encrypt the file for one of them (sops updatekeys)"
	}
	return strings.Join(hints, "; ")
}

func (d document) uses(prefix string) bool {
	for _, k := range d.keys {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

var (
	ansiEscape = regexp.MustCompile(`\x1b\[[0-9;]*m`)
	lineBreak  = regexp.MustCompile(`\s*\n\s*(?:-?\s*\|\s)?`)
)

// keyReport makes SOPS' multi-line, possibly coloured report of the keys it tried one line,
// without its fixed header and closing paragraph.
func keyReport(s string) string {
	s = ansiEscape.ReplaceAllString(s, "")
	s = strings.TrimPrefix(s, "Failed to get the data key required to decrypt the SOPS file.")
	if i := strings.Index(s, "Recovery failed because"); i > 0 {
		s = s[:i]
	}
	return strings.TrimSpace(lineBreak.ReplaceAllString(s, " "))
}

// decryptError carries kaji's message and, for errors.Is and errors.As, both the kaji sentinel
// and SOPS' own error, whose text the message already renders.
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
	for _, kt := range keyTypes {
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

// Leaves returns every non-empty string value of a decrypted document, each once, sorted, so
// that the caller can register them as secrets ("secret from FILE"). Numbers and booleans are
// left out: they are too common to redact wherever they appear. The sops key, if present, is
// skipped.
func Leaves(decrypted map[string]any) []string {
	set := map[string]bool{}
	for k, v := range decrypted {
		if k != sopsKey {
			collect(v, set)
		}
	}
	return sorted(set)
}

// EncryptedLeaves is Leaves restricted to the values that the SOPS file holds encrypted as
// strings: a file written with encrypted_regex, unencrypted_suffix and the like keeps other
// values in the clear, and those are not secret. encrypted is the file as read; decrypted is the
// result of Decrypt, parsed. Values are matched by their path in the two documents.
func EncryptedLeaves(file string, encrypted []byte, decrypted map[string]any) ([]string, error) {
	doc, err := read(file, encrypted)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w: %w", file, ErrNotSOPS, err)
	}
	set := map[string]bool{}
	for k, v := range doc.tree {
		if k != sopsKey {
			match(v, decrypted[k], set)
		}
	}
	return sorted(set), nil
}

func collect(v any, set map[string]bool) {
	switch t := v.(type) {
	case string:
		if t != "" {
			set[t] = true
		}
	case map[string]any:
		for _, c := range t {
			collect(c, set)
		}
	case map[any]any:
		for _, c := range t {
			collect(c, set)
		}
	case []any:
		for _, c := range t {
			collect(c, set)
		}
	}
}

// match walks the encrypted and decrypted trees together and keeps the plain text of each
// value that was stored as ENC[AES256_GCM,...] and decrypted to a string.
func match(enc, plain any, set map[string]bool) {
	switch e := enc.(type) {
	case string:
		if s, ok := plain.(string); ok && s != "" && strings.HasPrefix(e, "ENC[AES256_GCM,") {
			set[s] = true
		}
	case map[string]any:
		for k, c := range e {
			match(c, child(plain, k), set)
		}
	case map[any]any:
		for k, c := range e {
			match(c, child(plain, fmt.Sprint(k)), set)
		}
	case []any:
		p, _ := plain.([]any)
		for i, c := range e {
			if i < len(p) {
				match(c, p[i], set)
			}
		}
	}
}

// child looks a key up in a decoded mapping of either shape.
func child(m any, key string) any {
	switch t := m.(type) {
	case map[string]any:
		return t[key]
	case map[any]any:
		for k, v := range t {
			if fmt.Sprint(k) == key {
				return v
			}
		}
	}
	return nil
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
