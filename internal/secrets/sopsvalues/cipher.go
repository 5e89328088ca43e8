package sopsvalues

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

var (
	// errNotCiphertext: a value where SOPS ciphertext should be is not in its format.
	errNotCiphertext = errors.New("not SOPS ciphertext")
	// errAuthentication: the ciphertext does not authenticate with the data key and the
	// additional data (the value's path, or lastmodified for the MAC).
	errAuthentication = errors.New("does not decrypt with the data key")
)

// sopsValue is the form of an encrypted value. As in SOPS, the match is anchored at the start
// only.
var sopsValue = regexp.MustCompile(`^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`)

// decryptValue decrypts one ENC[AES256_GCM,...] value with AES-256-GCM, its nonce the iv of
// the value and aad the additional data, and restores its type. An empty string stands for an
// empty value. Errors never quote the value, the ciphertext or the plain text.
func decryptValue(value string, key []byte, aad string) (any, error) {
	if value == "" {
		return "", nil
	}
	m := sopsValue.FindStringSubmatch(value)
	if m == nil {
		return nil, errNotCiphertext
	}
	var parts [3][]byte
	for i := range parts {
		b, err := base64.StdEncoding.DecodeString(m[i+1])
		if err != nil {
			return nil, fmt.Errorf("%w: its %s is not base64", errNotCiphertext, [3]string{"data", "iv", "tag"}[i])
		}
		parts[i] = b
	}
	data, iv, tag := parts[0], parts[1], parts[2]
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("the data key is not an AES key: %w", err)
	}
	if len(iv) == 0 {
		return nil, fmt.Errorf("%w: its iv is empty", errNotCiphertext)
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(iv))
	if err != nil {
		return nil, fmt.Errorf("%w: its iv does not fit AES-GCM", errNotCiphertext)
	}
	plain, err := gcm.Open(nil, iv, append(data, tag...), []byte(aad))
	if err != nil {
		return nil, errAuthentication
	}
	return typedValue(plain, m[4])
}

// typedValue restores the type SOPS recorded for a value.
func typedValue(plain []byte, typ string) (any, error) {
	var v any
	var err error
	switch typ {
	case "str":
		v = string(plain)
	case "int":
		v, err = strconv.Atoi(string(plain))
	case "float":
		v, err = strconv.ParseFloat(string(plain), 64)
	case "bool":
		v, err = strconv.ParseBool(string(plain))
	case "bytes":
		v = plain
	case "time":
		var t time.Time
		err = t.UnmarshalText(plain)
		v = t
	case "comment":
		v = comment{value: string(plain)}
	default:
		return nil, errors.New("its type is none of those SOPS writes (str, int, float, bool, bytes, time, comment)")
	}
	if err != nil {
		// strconv's and time's messages quote their input: say only what failed.
		return nil, fmt.Errorf("it decrypts, but not to the %s its type says", typ)
	}
	return v, nil
}

// macBytes is the form in which a value enters the MAC, as SOPS writes it.
func macBytes(v any) ([]byte, error) {
	switch t := v.(type) {
	case string:
		return []byte(t), nil
	case int:
		return []byte(strconv.Itoa(t)), nil
	case float64:
		return []byte(strconv.FormatFloat(t, 'f', -1, 64)), nil
	case bool:
		if t {
			return []byte("True"), nil
		}
		return []byte("False"), nil
	case []byte:
		return t, nil
	case time.Time:
		b, err := t.MarshalText()
		if err != nil {
			return nil, errors.New("its timestamp cannot be written out")
		}
		return b, nil
	case comment:
		return []byte(t.value), nil
	}
	return nil, fmt.Errorf("%s has no form in the MAC", typeName(v))
}
