package awssim

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// KMSKey is a symmetric AWS KMS key (key spec SYMMETRIC_DEFAULT) that the simulator's KMS
// encrypts and decrypts with. Its key material is random, made when the simulator starts, so
// that ciphertexts are only good for the simulator that made them, as they are for one AWS
// account. Its key policy is the default one: the key's account, through the identity
// policies of its users and roles, decides who may use it.
type KMSKey struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// ID is the key id, such as 1234abcd-12ab-34cd-56ef-1234567890ab.
	ID string `json:"id"`
	// Aliases are other names of the key, alias/NAME.
	Aliases []string `json:"aliases,omitempty"`
	// Disabled keys refuse every cryptographic operation (DisabledException).
	Disabled bool `json:"disabled,omitempty"`
}

// ARN is the key's ARN.
func (k KMSKey) ARN() string {
	return "arn:aws:kms:" + k.Region + ":" + k.Account + ":key/" + k.ID
}

var (
	kmsKeyIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	kmsAliasPattern = regexp.MustCompile(`^alias/[A-Za-z0-9/_-]{1,250}$`)
)

func (k KMSKey) check() error {
	var errs []error
	if !accountIDPattern.MatchString(k.Account) || k.Region == "" {
		errs = append(errs, fmt.Errorf("kms key %s: account (12 digits) and region are required", k.ID))
	}
	if !kmsKeyIDPattern.MatchString(k.ID) {
		errs = append(errs, fmt.Errorf("kms key %q: want an id of letters, digits and dashes, such as a UUID", k.ID))
	}
	for _, a := range k.Aliases {
		if !kmsAliasPattern.MatchString(a) || strings.HasPrefix(a, "alias/aws/") {
			errs = append(errs, fmt.Errorf("kms key %s: alias %q: want alias/NAME, not under alias/aws/ (AWS managed keys)", k.ID, a))
		}
	}
	return errors.Join(errs...)
}

// checkKMSKeys checks the KMS keys of a fixture: valid, and no id or alias used twice in an
// account and region.
func (f *Fixture) checkKMSKeys() []error {
	var errs []error
	names := map[string]bool{}
	for i, k := range f.KMSKeys {
		if err := k.check(); err != nil {
			errs = append(errs, fmt.Errorf("kmsKeys[%d]: %w", i, err))
		}
		for _, n := range append([]string{k.ID}, k.Aliases...) {
			scoped := k.Account + "/" + k.Region + "/" + n
			if names[scoped] {
				errs = append(errs, fmt.Errorf("kmsKeys[%d]: %s is used twice in %s %s", i, n, k.Account, k.Region))
			}
			names[scoped] = true
		}
	}
	return errs
}

// keyring holds the KMS keys and their key material. It does not change after Start.
type keyring struct {
	keys []kmsEntry
}

type kmsEntry struct {
	KMSKey
	aead cipher.AEAD
}

func newKeyring(keys []KMSKey) (*keyring, error) {
	ring := &keyring{}
	for _, k := range keys {
		material := make([]byte, 32)
		if _, err := rand.Read(material); err != nil {
			return nil, fmt.Errorf("make key material for kms key %s: %w", k.ID, err)
		}
		block, err := aes.NewCipher(material)
		if err != nil {
			return nil, fmt.Errorf("kms key %s: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("kms key %s: %w", k.ID, err)
		}
		k.Aliases = slices.Clone(k.Aliases)
		ring.keys = append(ring.keys, kmsEntry{KMSKey: k, aead: aead})
	}
	return ring, nil
}

// find resolves a key id, key ARN, alias name or alias ARN as KMS does: names without an ARN
// are looked up in the caller's account and the request's region.
func (r *keyring) find(account, region, id string) (*kmsEntry, bool) {
	if rest, ok := strings.CutPrefix(id, "arn:aws:kms:"); ok {
		parts := strings.SplitN(rest, ":", 3)
		if len(parts) != 3 || parts[0] != region {
			return nil, false
		}
		account, id = parts[1], strings.TrimPrefix(parts[2], "key/")
	}
	for i := range r.keys {
		k := &r.keys[i]
		if k.Account == account && k.Region == region && (k.ID == id || slices.Contains(k.Aliases, id)) {
			return k, true
		}
	}
	return nil, false
}

// byARN finds a key by its ARN.
func (r *keyring) byARN(arn string) (*kmsEntry, bool) {
	for i := range r.keys {
		if r.keys[i].ARN() == arn {
			return &r.keys[i], true
		}
	}
	return nil, false
}

// A ciphertext blob is: version 1, the length of the key's ARN (two bytes, big-endian), the
// ARN, a 12-byte nonce, and the AES-GCM sealed plaintext, whose additional data binds the ARN
// and the encryption context. Like a real KMS blob, it names its key, so that Decrypt needs
// no key id, and reveals nothing of the plaintext.
const blobVersion = 1

func (k *kmsEntry) seal(plaintext []byte, context map[string]string) ([]byte, error) {
	arn := k.ARN()
	blob := []byte{blobVersion}
	blob = binary.BigEndian.AppendUint16(blob, uint16(len(arn)))
	blob = append(blob, arn...)
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("make a nonce: %w", err)
	}
	blob = append(blob, nonce...)
	return k.aead.Seal(blob, nonce, plaintext, additionalData(arn, context)), nil
}

// blobARN reads the key ARN of a ciphertext blob.
func blobARN(blob []byte) (string, []byte, bool) {
	if len(blob) < 3 || blob[0] != blobVersion {
		return "", nil, false
	}
	n := int(binary.BigEndian.Uint16(blob[1:3]))
	if len(blob) < 3+n {
		return "", nil, false
	}
	return string(blob[3 : 3+n]), blob[3+n:], true
}

func (k *kmsEntry) open(sealed []byte, context map[string]string) ([]byte, bool) {
	ns := k.aead.NonceSize()
	if len(sealed) < ns {
		return nil, false
	}
	plain, err := k.aead.Open(nil, sealed[:ns], sealed[ns:], additionalData(k.ARN(), context))
	return plain, err == nil
}

// additionalData binds a ciphertext to its key and its encryption context, whatever the order
// of the context's pairs: the ARN, then each pair in key order, every string length-prefixed.
func additionalData(arn string, context map[string]string) []byte {
	field := func(b []byte, s string) []byte {
		return append(binary.BigEndian.AppendUint32(b, uint32(len(s))), s...)
	}
	out := field(nil, arn)
	keys := slices.Sorted(maps.Keys(context))
	for _, k := range keys {
		out = field(field(out, k), context[k])
	}
	return out
}
