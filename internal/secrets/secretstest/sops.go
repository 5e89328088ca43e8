package secretstest

import (
	"testing"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/cmd/sops/common"
	"github.com/getsops/sops/v3/config"
	"github.com/getsops/sops/v3/keyservice"
	"github.com/getsops/sops/v3/stores/yaml"
	"github.com/getsops/sops/v3/version"
)

// AgeKey is an age identity made for one test.
type AgeKey struct{ id *age.X25519Identity }

// NewAgeKey generates an age X25519 identity.
func NewAgeKey(t testing.TB) AgeKey {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatalf("generate age identity: %v", err)
	}
	return AgeKey{id: id}
}

// Identity is the secret key, as SOPS_AGE_KEY takes it.
func (k AgeKey) Identity() string { return k.id.String() }

// EncryptYAML encrypts a plain YAML values document for k as the sops command does (every
// value encrypted), with SOPS' own packages.
func (k AgeKey) EncryptYAML(t testing.TB, plain []byte) []byte {
	t.Helper()
	store := yaml.NewStore(&config.YAMLStoreConfig{})
	branches, err := store.LoadPlainFile(plain)
	if err != nil {
		t.Fatalf("load plain document: %v", err)
	}
	mk, err := sopsage.MasterKeyFromRecipient(k.id.Recipient().String())
	if err != nil {
		t.Fatalf("age master key: %v", err)
	}
	tree := sops.Tree{Branches: branches, Metadata: sops.Metadata{
		KeyGroups:         []sops.KeyGroup{{mk}},
		UnencryptedSuffix: sops.DefaultUnencryptedSuffix,
		Version:           version.Version,
	}}
	dataKey, errs := tree.GenerateDataKeyWithKeyServices([]keyservice.KeyServiceClient{keyservice.NewLocalClient()})
	if len(errs) > 0 {
		t.Fatalf("generate and encrypt the data key: %v", errs)
	}
	if err := common.EncryptTree(common.EncryptTreeOpts{DataKey: dataKey, Tree: &tree, Cipher: aes.NewCipher()}); err != nil {
		t.Fatalf("encrypt tree: %v", err)
	}
	out, err := store.EmitEncryptedFile(tree)
	if err != nil {
		t.Fatalf("emit encrypted document: %v", err)
	}
	return out
}
