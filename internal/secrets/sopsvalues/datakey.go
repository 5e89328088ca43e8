package sopsvalues

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// dataKeySize is the size of a SOPS data key, an AES-256 key.
const dataKeySize = 32

// keyFailure is a master key that did not give its part of the data key, and why.
type keyFailure struct {
	group int
	key   masterKey
	err   error
}

// noKeyError says that the data key could not be had: which keys were tried and why each
// failed. Its message quotes no value of the document (none is decrypted yet).
type noKeyError struct {
	tried    []string
	failures []keyFailure
	// groups and threshold describe Shamir secret sharing; parts is how many groups gave
	// their part.
	groups, threshold, parts int
}

func (e *noKeyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v (tried %s)", ErrNoKey, strings.Join(e.tried, ", "))
	if e.groups > 1 {
		fmt.Fprintf(&b, ": the data key is split over %d key groups, %d of which must give their part, and %d did",
			e.groups, e.threshold, e.parts)
	}
	for i, f := range e.failures {
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		b.WriteString(sep)
		if e.groups > 1 {
			fmt.Fprintf(&b, "key group %d: ", f.group+1)
		}
		b.WriteString(f.key.label() + ": " + strings.TrimSuffix(oneLine(f.err.Error()), "."))
	}
	return b.String()
}

// Unwrap gives ErrNoKey and the error of every key, for errors.Is and errors.As.
func (e *noKeyError) Unwrap() []error {
	errs := []error{ErrNoKey}
	for _, f := range e.failures {
		errs = append(errs, f.err)
	}
	return errs
}

// oneLine makes a multi-line message one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// dataKey decrypts the data key with the file's master keys: in each key group, the first
// key that works gives the group's part (age keys are tried first, then AWS KMS); with one
// group the part is the data key, with several the parts of threshold groups are combined.
func (md *metadata) dataKey(ctx context.Context) ([]byte, error) {
	e := &noKeyError{groups: len(md.groups), threshold: md.threshold}
	var parts [][]byte
	for i, g := range md.groups {
		for _, k := range g {
			e.tried = append(e.tried, k.label())
		}
		if len(parts) == md.threshold {
			continue // enough parts; the other groups need not be asked
		}
		part, failures := unwrapGroup(ctx, g)
		if part == nil {
			for _, f := range failures {
				f.group = i
				e.failures = append(e.failures, f)
			}
			continue
		}
		parts = append(parts, part)
	}
	e.parts = len(parts)
	if len(parts) < md.threshold {
		return nil, e
	}
	key := parts[0]
	if len(md.groups) > 1 {
		var err error
		if key, err = combineShares(parts); err != nil {
			return nil, &formatError{msg: "the parts of the data key do not combine: " + err.Error()}
		}
	}
	if len(key) != dataKeySize {
		return nil, &formatError{msg: fmt.Sprintf("the data key is %d bytes long; SOPS data keys are %d", len(key), dataKeySize)}
	}
	return key, nil
}

// unwrapGroup returns the group's part of the data key from its first key that works, or
// why each key failed.
func unwrapGroup(ctx context.Context, g keyGroup) ([]byte, []keyFailure) {
	var failures []keyFailure
	for _, k := range tryOrder(g) {
		part, err := unwrap(ctx, k)
		if err == nil {
			return part, nil
		}
		failures = append(failures, keyFailure{key: k, err: err})
	}
	return nil, failures
}

// tryOrder puts a group's age keys first, then its AWS KMS keys, then the kinds kaji does
// not decrypt with (so that they are reported), each in file order.
func tryOrder(g keyGroup) []masterKey {
	rank := func(k masterKey) int {
		switch k.kind {
		case "age":
			return 0
		case "kms":
			return 1
		}
		return 2
	}
	var out []masterKey
	for r := range 3 {
		for _, k := range g {
			if rank(k) == r {
				out = append(out, k)
			}
		}
	}
	return out
}

// errUnsupportedKey: a master key of a kind kaji does not decrypt with.
var errUnsupportedKey = errors.New("kaji decrypts SOPS data keys with age and AWS KMS keys only")

func unwrap(ctx context.Context, k masterKey) ([]byte, error) {
	switch k.kind {
	case "age":
		return decryptAge(k.id, k.enc)
	case "kms":
		return decryptKMS(ctx, k)
	}
	return nil, errUnsupportedKey
}

// keyHint says what to set for the kinds of key the file uses.
func keyHint(groups []keyGroup) string {
	uses := map[string]bool{}
	for _, g := range groups {
		for _, k := range g {
			uses[k.kind] = true
			if k.kind == "kms" && k.role != "" {
				uses["kms role"] = true
			}
		}
	}
	var hints []string
	if uses["age"] {
		hints = append(hints, "for age, set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE to the identity (AGE-SECRET-KEY-...) of one of the recipients")
	}
	if uses["kms"] {
		h := "for AWS KMS, give kaji AWS credentials (AWS_PROFILE, environment or instance role) allowed kms:Decrypt on the key"
		if uses["kms role"] {
			h += ", or sts:AssumeRole on the role the file names for it"
		}
		hints = append(hints, h)
	}
	if len(hints) == 0 {
		return "add an age or AWS KMS key to the file (sops updatekeys)"
	}
	return strings.Join(hints, "; ")
}
