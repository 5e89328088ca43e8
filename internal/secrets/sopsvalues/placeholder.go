package sopsvalues

import (
	"regexp"

	sigsyaml "sigs.k8s.io/yaml"
)

// encryptedValue is a value as SOPS stores it; its type says what it decrypts to.
var encryptedValue = regexp.MustCompile(`^ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:([a-z]+)\]$`)

// Placeholders reads a SOPS values file without decrypting it, for checks that run offline:
// its keys as they are (SOPS never encrypts keys), each encrypted value replaced by a
// placeholder of its type (a string, 0, false), the sops metadata left out. It returns the
// file as YAML.
func Placeholders(data []byte) ([]byte, error) {
	var tree map[string]any
	if err := sigsyaml.Unmarshal(data, &tree); err != nil {
		return nil, err
	}
	delete(tree, sopsKey)
	return sigsyaml.Marshal(placeholders(tree))
}

// PlaceholderString is what an encrypted string reads as offline.
const PlaceholderString = "(encrypted with SOPS)"

func placeholders(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = placeholders(e)
		}
	case []any:
		for i, e := range v {
			v[i] = placeholders(e)
		}
	case string:
		m := encryptedValue.FindStringSubmatch(v)
		if m == nil {
			return v
		}
		switch m[1] {
		case "int", "float":
			return 0
		case "bool":
			return false
		}
		return PlaceholderString
	}
	return v
}

// Offline reads SOPS files for a values.Set with Placeholders, without any key (it is a
// values.Decrypter): kaji validate uses it.
type Offline struct{}

// Encrypted reports whether data is a SOPS-encrypted values file.
func (Offline) Encrypted(data []byte) bool { return IsSOPS(data) }

// Decrypt returns the placeholders of data; nothing in them is secret.
func (Offline) Decrypt(file string, data []byte) ([]byte, []string, error) {
	out, err := Placeholders(data)
	return out, nil, err
}
