package sopsvalues

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// metadata is what kaji reads of a file's sops key.
type metadata struct {
	lastModified time.Time
	mac          string
	groups       []keyGroup
	// threshold is how many key groups must each give their part of the data key (Shamir
	// secret sharing); with one group it is 1.
	threshold int
	rules     cryptRules
	// macOnlyEncrypted: the MAC covers only the values that are encrypted.
	macOnlyEncrypted bool
}

// cryptRules say which values SOPS encrypted. At most one of them is set; with none, SOPS
// uses the unencrypted suffix _unencrypted.
type cryptRules struct {
	unencryptedSuffix, encryptedSuffix   string
	unencryptedRegex, encryptedRegex     *regexp.Regexp
	unencryptedComment, encryptedComment *regexp.Regexp
}

// keyGroup is one group of master keys, each of which holds the same part of the data key
// (the whole data key when there is one group).
type keyGroup []masterKey

// masterKey is one key entry of the metadata.
type masterKey struct {
	// kind is the metadata field the key is listed under: age, kms, pgp, gcp_kms, ...
	kind string
	// id identifies the key: the age recipient, the KMS ARN, the PGP fingerprint, ...
	id  string
	enc string
	// role, profile and context are those of an AWS KMS key.
	role    string
	profile string
	context map[string]string
}

// keyKinds are the master key lists SOPS writes, in the order SOPS reads them into a key
// group, with the name kaji shows for each and the field that identifies one key.
var keyKinds = []struct{ field, name, id string }{
	{"kms", "AWS KMS", "arn"},
	{"gcp_kms", "GCP KMS", "resource_id"},
	{"hckms", "HuaweiCloud KMS", "key_id"},
	{"azure_kv", "Azure Key Vault", "vault_url"},
	{"hc_vault", "HashiCorp Vault", "vault_address"},
	{"pgp", "PGP", "fp"},
	{"age", "age", "recipient"},
}

// label names a key in messages: "age age1...", "AWS KMS arn:aws:kms:...".
func (k masterKey) label() string {
	for _, kk := range keyKinds {
		if kk.field == k.kind {
			return strings.TrimSpace(kk.name + " " + k.id)
		}
	}
	return strings.TrimSpace(k.kind + " " + k.id)
}

const defaultUnencryptedSuffix = "_unencrypted"

// metadataError is a sops key kaji cannot read. Its message names fields, never their values.
type metadataError struct{ msg string }

func (e *metadataError) Error() string { return e.msg }

func badMetadata(format string, args ...any) error {
	return &metadataError{msg: fmt.Sprintf(format, args...)}
}

// extractMetadata removes the sops key from every document, as SOPS does, and reads the one
// of the first document.
func extractMetadata(docs []branch) ([]branch, metadata, error) {
	var meta branch
	found := false
	for i, b := range docs {
		kept := b[:0:0]
		for _, it := range b {
			if it.key != sopsKey {
				kept = append(kept, it)
				continue
			}
			if i > 0 {
				continue
			}
			if found {
				return nil, metadata{}, badMetadata("it has two sops keys")
			}
			m, ok := it.value.(branch)
			if !ok {
				return nil, metadata{}, badMetadata("its sops key is not a mapping")
			}
			meta, found = m, true
		}
		docs[i] = kept
	}
	if !found {
		return nil, metadata{}, badMetadata("it has no sops metadata key")
	}
	md, err := parseMetadata(plainMap(meta))
	return docs, md, err
}

// plainMap turns a branch into a map, without comments, for reading metadata.
func plainMap(b branch) map[string]any {
	out := map[string]any{}
	for _, it := range b {
		if k, ok := it.key.(string); ok {
			out[k] = plainValue(it.value)
		}
	}
	return out
}

func plainValue(v any) any {
	switch t := v.(type) {
	case branch:
		return plainMap(t)
	case []any:
		out := make([]any, 0, len(t))
		for _, e := range t {
			if _, ok := e.(comment); !ok {
				out = append(out, plainValue(e))
			}
		}
		return out
	}
	return v
}

func parseMetadata(m map[string]any) (metadata, error) {
	var md metadata
	var errs []error
	str := func(field string) string {
		s, err := scalarString(m[field])
		if err != nil {
			errs = append(errs, badMetadata("sops.%s %v", field, err))
		}
		return s
	}
	md.mac = str("mac")
	lm, err := scalarString(m["lastmodified"])
	switch t, perr := time.Parse(time.RFC3339, lm); {
	case m["lastmodified"] == nil:
		errs = append(errs, badMetadata("sops.lastmodified is missing"))
	case err != nil:
		errs = append(errs, badMetadata("sops.lastmodified %v; SOPS writes it as a quoted string", err))
	case perr != nil:
		errs = append(errs, badMetadata("sops.lastmodified is not a time in RFC 3339 form (its text is withheld)"))
	default:
		md.lastModified = t
	}
	if md.macOnlyEncrypted, err = scalarBool(m["mac_only_encrypted"]); err != nil {
		errs = append(errs, badMetadata("sops.mac_only_encrypted %v", err))
	}
	threshold, err := scalarInt(m["shamir_threshold"])
	if err != nil {
		errs = append(errs, badMetadata("sops.shamir_threshold %v", err))
	}
	rules, err := readRules(str)
	if err != nil {
		errs = append(errs, err)
	}
	md.rules = rules
	groups, err := readGroups(m)
	if err != nil {
		errs = append(errs, err)
	}
	md.groups = groups
	if err := errors.Join(errs...); err != nil {
		return md, err
	}
	md.threshold = 1
	if len(groups) > 1 {
		// SOPS writes the threshold it split the data key with; it defaults to every group.
		md.threshold = threshold
		if threshold <= 0 {
			md.threshold = len(groups)
		}
		if md.threshold > len(groups) {
			return md, badMetadata("sops.shamir_threshold is %d, but the file has %d key groups", threshold, len(groups))
		}
	}
	return md, nil
}

// readRules reads the options that say which values are encrypted.
func readRules(str func(string) string) (cryptRules, error) {
	var r cryptRules
	var set []string
	var errs []error
	re := func(field string) *regexp.Regexp {
		s := str(field)
		if s == "" {
			return nil
		}
		set = append(set, field)
		c, err := regexp.Compile(s)
		if err != nil {
			errs = append(errs, badMetadata("sops.%s is not a valid regular expression: %v", field, err))
		}
		return c
	}
	suffix := func(field string) string {
		s := str(field)
		if s != "" {
			set = append(set, field)
		}
		return s
	}
	r.unencryptedSuffix = suffix("unencrypted_suffix")
	r.encryptedSuffix = suffix("encrypted_suffix")
	r.unencryptedRegex = re("unencrypted_regex")
	r.encryptedRegex = re("encrypted_regex")
	r.unencryptedComment = re("unencrypted_comment_regex")
	r.encryptedComment = re("encrypted_comment_regex")
	if len(set) > 1 {
		errs = append(errs, badMetadata("its sops metadata sets %s; SOPS allows one of them", strings.Join(set, " and ")))
	}
	if len(set) == 0 {
		r.unencryptedSuffix = defaultUnencryptedSuffix
	}
	return r, errors.Join(errs...)
}

// readGroups reads the master keys: the lists at the top of the metadata form one group;
// without them, key_groups lists the groups.
func readGroups(m map[string]any) ([]keyGroup, error) {
	top, err := readGroup(m, "sops")
	if err != nil {
		return nil, err
	}
	if len(top) > 0 {
		return []keyGroup{top}, nil
	}
	list, ok := m["key_groups"].([]any)
	if !ok && m["key_groups"] != nil {
		return nil, badMetadata("sops.key_groups is not a list")
	}
	var groups []keyGroup
	for i, g := range list {
		gm, ok := g.(map[string]any)
		if !ok {
			return nil, badMetadata("sops.key_groups[%d] is not a mapping", i)
		}
		group, err := readGroup(gm, fmt.Sprintf("sops.key_groups[%d]", i))
		if err != nil {
			return nil, err
		}
		groups = append(groups, group)
	}
	if len(groups) == 0 {
		return nil, badMetadata("its sops metadata names no key")
	}
	return groups, nil
}

func readGroup(m map[string]any, where string) (keyGroup, error) {
	var g keyGroup
	for _, kk := range keyKinds {
		raw, ok := m[kk.field]
		if !ok || raw == nil {
			continue
		}
		list, ok := raw.([]any)
		if !ok {
			return nil, badMetadata("%s.%s is not a list", where, kk.field)
		}
		for i, e := range list {
			em, ok := e.(map[string]any)
			if !ok {
				return nil, badMetadata("%s.%s[%d] is not a mapping", where, kk.field, i)
			}
			k := masterKey{kind: kk.field}
			var errs []error
			get := func(field string) string {
				s, err := scalarString(em[field])
				if err != nil {
					errs = append(errs, badMetadata("%s.%s[%d].%s %v", where, kk.field, i, field, err))
				}
				return s
			}
			k.id, k.enc = get(kk.id), get("enc")
			if kk.field == "kms" {
				k.role, k.profile = get("role"), get("aws_profile")
				k.context = kmsContext(em["context"])
			}
			if err := errors.Join(errs...); err != nil {
				return nil, err
			}
			g = append(g, k)
		}
	}
	return g, nil
}

// kmsContext reads a KMS key's encryption context. As in SOPS, a context with a value that is
// not a string is not used.
func kmsContext(v any) map[string]string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		out[k] = s
	}
	return out
}

// scalarString reads a metadata scalar as a string, leniently as SOPS does: numbers and
// booleans are written out. Its errors never quote the value.
func scalarString(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	case int:
		return strconv.Itoa(t), nil
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), nil
	case bool:
		if t {
			return "1", nil
		}
		return "0", nil
	}
	return "", fmt.Errorf("is a %s, not a string", kindName(v))
}

func scalarBool(v any) (bool, error) {
	switch t := v.(type) {
	case nil:
		return false, nil
	case bool:
		return t, nil
	case int:
		return t != 0, nil
	case float64:
		return t != 0, nil
	case string:
		if t == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(t)
		if err != nil {
			return false, errors.New("is not a boolean")
		}
		return b, nil
	}
	return false, fmt.Errorf("is a %s, not a boolean", kindName(v))
}

func scalarInt(v any) (int, error) {
	switch t := v.(type) {
	case nil:
		return 0, nil
	case int:
		return t, nil
	case float64:
		return int(t), nil
	case string:
		if t == "" {
			return 0, nil
		}
		i, err := strconv.Atoi(t)
		if err != nil {
			return 0, errors.New("is not an integer")
		}
		return i, nil
	}
	return 0, fmt.Errorf("is a %s, not an integer", kindName(v))
}

func kindName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "mapping"
	case []any:
		return "list"
	case time.Time:
		return "timestamp"
	}
	return fmt.Sprintf("%T", v)
}
