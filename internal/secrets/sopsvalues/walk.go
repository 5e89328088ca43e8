package sopsvalues

import (
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"strings"
	"time"
)

// macOnlyEncryptedInit starts the hash of a file written with mac_only_encrypted, so that its
// MAC never equals the MAC of the same values without the option: SHA-256 of "sops".
var macOnlyEncryptedInit = []byte{
	0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
	0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
}

// tamperError is a value or MAC that fails its check: the file changed after SOPS wrote it.
// path is the value's key path, which the file shows in the clear; reason says what failed.
type tamperError struct{ path, reason string }

func (e *tamperError) Error() string {
	if e.path == "" {
		return e.reason
	}
	return "the value under " + e.path + " " + e.reason
}

// formatError is a document SOPS would not have written (a key that is not a string, a value
// of a type SOPS does not know). Its message never quotes a value.
type formatError struct{ msg string }

func (e *formatError) Error() string { return e.msg }

// treeDecrypter decrypts a tree in place and hashes its values as SOPS computes its MAC.
type treeDecrypter struct {
	meta *metadata
	key  []byte
	hash hash.Hash
}

// decryptTree decrypts every value that the metadata's rules say is encrypted, in place, and
// returns the MAC of the documents: the upper-case hex SHA-512 of their values in order (only
// the encrypted ones with mac_only_encrypted), comments left out.
func decryptTree(docs []branch, meta *metadata, key []byte) (string, error) {
	d := &treeDecrypter{meta: meta, key: key, hash: sha512.New()}
	if meta.macOnlyEncrypted {
		d.hash.Write(macOnlyEncryptedInit)
	}
	for _, b := range docs {
		if err := d.walkBranch(b, nil, nil); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%X", d.hash.Sum(nil)), nil
}

// The walk keeps a stack of comment runs, one per mapping or list being walked: the comments
// met since the last value at that level. The comment rules of the metadata look at it.

func (d *treeDecrypter) walkBranch(b branch, path []string, stack [][]string) error {
	stack = append(stack, nil)
	top := len(stack) - 1
	for i, it := range b {
		if c, ok := it.key.(comment); ok {
			stack[top] = append(stack[top], c.value)
			v, err := d.leaf(c, path, stack)
			if err != nil {
				return err
			}
			switch t := v.(type) {
			case comment:
				b[i].key = t
			case string:
				b[i].key = comment{value: t, inline: c.inline}
			default:
				return &formatError{msg: "a comment under " + pathLabel(path) + " decrypts to " + typeName(v) + ", not to text"}
			}
			continue
		}
		c, valueIsComment := it.value.(comment)
		if valueIsComment {
			stack[top] = append(stack[top], c.value)
		}
		key, ok := it.key.(string)
		if !ok {
			return &formatError{msg: fmt.Sprintf("a key under %s is %s; SOPS files have string keys", pathLabel(path), typeName(it.key))}
		}
		v, err := d.walkValue(it.value, append(path, key), stack)
		if err != nil {
			return err
		}
		b[i].value = v
		if !valueIsComment {
			stack[top] = nil
		}
	}
	return nil
}

func (d *treeDecrypter) walkList(l []any, path []string, stack [][]string) error {
	stack = append(stack, nil)
	top := len(stack) - 1
	for i, e := range l {
		c, isComment := e.(comment)
		if isComment {
			stack[top] = append(stack[top], c.value)
		}
		v, err := d.walkValue(e, path, stack)
		if err != nil {
			return err
		}
		l[i] = v
		if !isComment {
			stack[top] = nil
		}
	}
	return nil
}

func (d *treeDecrypter) walkValue(v any, path []string, stack [][]string) (any, error) {
	switch t := v.(type) {
	case nil:
		return nil, nil // nothing to decrypt, and not part of the MAC
	case branch:
		return t, d.walkBranch(t, path, stack)
	case []any:
		return t, d.walkList(t, path, stack)
	case []byte:
		return d.leaf(string(t), path, stack)
	case string, int, float64, bool, time.Time, comment:
		return d.leaf(t, path, stack)
	}
	return nil, &formatError{msg: fmt.Sprintf("the value under %s is %s, which SOPS does not write", pathLabel(path), typeName(v))}
}

// leaf decrypts one value, if the rules say it is encrypted, and adds it to the MAC.
func (d *treeDecrypter) leaf(in any, path []string, stack [][]string) (any, error) {
	_, isComment := in.(comment)
	encrypted := d.meta.rules.encrypts(path, stack, isComment)
	v := in
	if encrypted {
		aad := strings.Join(path, ":") + ":"
		switch t := in.(type) {
		case comment:
			// A comment that does not decrypt is kept as it is: older SOPS versions left
			// comments in the clear.
			if p, err := decryptValue(t.value, d.key, aad); err == nil {
				v = p
			}
		case string:
			p, err := decryptValue(t, d.key, aad)
			if err != nil {
				return nil, valueError(path, err)
			}
			v = p
		default:
			return nil, &tamperError{path: pathLabel(path), reason: "is " + typeName(in) + " where SOPS ciphertext should be"}
		}
	}
	if !d.meta.macOnlyEncrypted || encrypted {
		if _, ok := v.(comment); !ok {
			b, err := macBytes(v)
			if err != nil {
				return nil, &formatError{msg: fmt.Sprintf("the value under %s: %v", pathLabel(path), err)}
			}
			d.hash.Write(b)
		}
	}
	return v, nil
}

// valueError explains why a value did not decrypt, without quoting it.
func valueError(path []string, err error) error {
	switch {
	case errors.Is(err, errNotCiphertext):
		return &tamperError{path: pathLabel(path), reason: "is not SOPS ciphertext"}
	case errors.Is(err, errAuthentication):
		return &tamperError{path: pathLabel(path), reason: "does not decrypt with its data key at its path"}
	}
	return &formatError{msg: fmt.Sprintf("the value under %s: %v", pathLabel(path), err)}
}

// pathLabel shows a key path as a.b.c, or "the top" for the document itself.
func pathLabel(path []string) string {
	if len(path) == 0 {
		return "the top of the document"
	}
	return strings.Join(path, ".")
}

// typeName names the type of a value, with its article, for messages that must not show it.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case int, int64, uint64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a timestamp"
	case branch:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("a %T", v)
}

// encrypts says whether SOPS encrypted the value at path, whose comment runs are stack, with
// the metadata's rules; isComment is true for a comment itself.
func (r cryptRules) encrypts(path []string, stack [][]string, isComment bool) bool {
	encrypted := true
	if r.unencryptedSuffix != "" && anyOf(path, func(p string) bool { return strings.HasSuffix(p, r.unencryptedSuffix) }) {
		encrypted = false
	}
	if r.encryptedSuffix != "" {
		encrypted = anyOf(path, func(p string) bool { return strings.HasSuffix(p, r.encryptedSuffix) })
	}
	if r.unencryptedRegex != nil && anyOf(path, r.unencryptedRegex.MatchString) {
		encrypted = false
	}
	if r.encryptedRegex != nil {
		encrypted = anyOf(path, r.encryptedRegex.MatchString)
	}
	if r.unencryptedComment != nil {
		for _, run := range stack {
			if anyOf(run, r.unencryptedComment.MatchString) {
				encrypted = false
				break
			}
		}
	}
	if r.encryptedComment != nil {
		encrypted = false
		last := len(stack) - 1
		for i, run := range stack {
			for j, c := range run {
				// A comment that matches is itself left in the clear: only the comments
				// before it may turn encryption on for it.
				if isComment && i == last && j == len(run)-1 {
					continue
				}
				if r.encryptedComment.MatchString(c) {
					return true
				}
			}
		}
	}
	return encrypted
}

func anyOf(list []string, match func(string) bool) bool {
	for _, s := range list {
		if match(s) {
			return true
		}
	}
	return false
}
