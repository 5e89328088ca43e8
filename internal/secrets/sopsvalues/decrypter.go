package sopsvalues

import (
	"fmt"

	sigsyaml "sigs.k8s.io/yaml"
)

// Decrypter decrypts SOPS values files for a run's values (it is a values.Decrypter).
type Decrypter struct{}

// Encrypted reports whether data is a SOPS-encrypted values file.
func (Decrypter) Encrypted(data []byte) bool { return IsSOPS(data) }

// Decrypt decrypts data in memory and returns the plain file and the values it held
// encrypted, which are secret.
func (Decrypter) Decrypt(file string, data []byte) ([]byte, []string, error) {
	plain, err := Decrypt(file, data)
	if err != nil {
		return nil, nil, err
	}
	var tree map[string]any
	if err := sigsyaml.Unmarshal(plain, &tree); err != nil {
		// Its message may quote a value: name the file only.
		return nil, nil, fmt.Errorf("decrypt %s: the decrypted document is not a mapping of values", file)
	}
	leaves, err := EncryptedLeaves(file, data, tree)
	if err != nil {
		return nil, nil, err
	}
	return plain, leaves, nil
}
