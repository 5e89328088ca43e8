package sopsvalues

import (
	"fmt"
	"sort"
	"strings"
)

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

// EncryptedLeaves lists the values that the SOPS file holds encrypted, strings and the text of
// numbers: a file written with encrypted_regex, unencrypted_suffix and the like keeps other
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
		if !strings.HasPrefix(e, "ENC[AES256_GCM,") {
			return
		}
		switch p := plain.(type) {
		case string:
			if p != "" {
				set[p] = true
			}
		case int, int64, uint64, float64:
			// A number written unquoted (password: 48213977) is as secret as a string; short
			// ones are left to the registry's minimum length.
			set[fmt.Sprint(p)] = true
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
