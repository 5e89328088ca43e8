package sopsvalues

import (
	"os"
	"testing"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keyservice"
	"github.com/getsops/sops/v3/stores/json"
	"github.com/getsops/sops/v3/stores/yaml"
	"github.com/getsops/sops/v3/version"
	yamlv3 "go.yaml.in/yaml/v3"
)

// This file encrypts documents the way the sops command does, with sops' own packages: load the
// plain document into a tree, generate a data key and encrypt it for each master key through
// the local key service, encrypt the tree with sops' AES-GCM cipher, encrypt the MAC, emit.

// sopsStore is the store sops uses for a format.
func sopsStore(t *testing.T, format string) sops.Store {
	t.Helper()
	switch format {
	case formatYAML:
		return yaml.NewStore(&config.YAMLStoreConfig{})
	case formatJSON:
		return json.NewStore(&config.JSONStoreConfig{})
	}
	t.Fatalf("no sops store for format %q", format)
	return nil
}

// newAgeIdentity generates an age X25519 identity for one test.
func newAgeIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatalf("generate age identity: %v", err)
	}
	return id
}

// ageGroup is one key group holding an age master key for each identity.
func ageGroup(t *testing.T, ids ...*age.X25519Identity) sops.KeyGroup {
	t.Helper()
	var g sops.KeyGroup
	for _, id := range ids {
		k, err := sopsage.MasterKeyFromRecipient(id.Recipient().String())
		if err != nil {
			t.Fatalf("age master key: %v", err)
		}
		g = append(g, k)
	}
	return g
}

// encryptWith encrypts a plain document with sops; meta carries the key groups and any
// encrypted_regex-style options.
func encryptWith(t *testing.T, plain []byte, format string, meta sops.Metadata) []byte {
	t.Helper()
	store := sopsStore(t, format)
	branches, err := store.LoadPlainFile(plain)
	if err != nil {
		t.Fatalf("load plain %s document: %v", format, err)
	}
	if meta.UnencryptedSuffix == "" && meta.EncryptedSuffix == "" && meta.UnencryptedRegex == "" && meta.EncryptedRegex == "" &&
		meta.UnencryptedCommentRegex == "" && meta.EncryptedCommentRegex == "" {
		meta.UnencryptedSuffix = sops.DefaultUnencryptedSuffix
	}
	meta.Version = version.Version
	tree := sops.Tree{Branches: branches, Metadata: meta}
	dataKey, errs := tree.GenerateDataKeyWithKeyServices([]keyservice.KeyServiceClient{keyservice.NewLocalClient()})
	if len(errs) > 0 {
		t.Fatalf("generate and encrypt the data key: %v", errs)
	}
	if err := common.EncryptTree(common.EncryptTreeOpts{DataKey: dataKey, Tree: &tree, Cipher: aes.NewCipher()}); err != nil {
		t.Fatalf("encrypt tree: %v", err)
	}
	out, err := store.EmitEncryptedFile(tree)
	if err != nil {
		t.Fatalf("emit encrypted %s document: %v", format, err)
	}
	return out
}

// encryptForAge encrypts a plain document for the given age identities, in one key group.
func encryptForAge(t *testing.T, plain []byte, format string, ids ...*age.X25519Identity) []byte {
	t.Helper()
	return encryptWith(t, plain, format, sops.Metadata{KeyGroups: []sops.KeyGroup{ageGroup(t, ids...)}})
}

// keyEnv lists the variables through which sops finds keys; tests clear them all and set only
// what they mean to.
var keyEnv = []string{
	"SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD",
	"SOPS_AGE_SSH_PRIVATE_KEY_FILE", "SOPS_AGE_SSH_PRIVATE_KEY_CMD",
	"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS", "AWS_REGION", "AWS_DEFAULT_REGION",
}

// isolateKeys clears every key variable for the test, and points the user's home and config
// directories (where sops looks for sops/age/keys.txt and ~/.aws) at an empty directory.
func isolateKeys(t *testing.T) {
	t.Helper()
	for _, name := range keyEnv {
		t.Setenv(name, "") // restores the old value after the test
		if err := os.Unsetenv(name); err != nil {
			t.Fatalf("unset %s: %v", name, err)
		}
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)
	t.Setenv("AWS_CONFIG_FILE", home+"/aws-config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", home+"/aws-credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// editYAML parses a YAML document into nodes (keeping order and styles), lets edit change them,
// and encodes the result.
func editYAML(t *testing.T, data []byte, edit func(root *yamlv3.Node)) []byte {
	t.Helper()
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(data, &doc); err != nil {
		t.Fatalf("parse YAML to edit: %v", err)
	}
	edit(doc.Content[0])
	out, err := yamlv3.Marshal(&doc)
	if err != nil {
		t.Fatalf("encode edited YAML: %v", err)
	}
	return out
}

// mapValue returns the value node of key in a mapping node.
func mapValue(t *testing.T, m *yamlv3.Node, key string) *yamlv3.Node {
	t.Helper()
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	t.Fatalf("no key %q in mapping", key)
	return nil
}

// deleteKey removes key from a mapping node.
func deleteKey(t *testing.T, m *yamlv3.Node, key string) {
	t.Helper()
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
	t.Fatalf("no key %q in mapping", key)
}
