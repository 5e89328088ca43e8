package awssim

import (
	"bytes"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// Access keys and KMS keys of testdata/kms.yaml.
const (
	kmsUserKey      = "AKIAKMSUSER000000001"
	kmsEncrypterKey = "AKIAKMSENCRYPTER0001"
	kmsNobodyKey    = "AKIAKMSNOBODY0000001"

	sopsKeyID     = "0f1e2d3c-0000-4000-8000-00000000000a"
	sopsKeyARN    = "arn:aws:kms:eu-west-1:111122223333:key/" + sopsKeyID
	disabledKeyID = "0f1e2d3c-0000-4000-8000-00000000000b"
	otherAcctARN  = "arn:aws:kms:eu-west-1:444455556666:key/0f1e2d3c-0000-4000-8000-00000000000d"
	usEastKeyARN  = "arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c-0000-4000-8000-00000000000c"
)

func startKMSSim(t *testing.T) *Server {
	t.Helper()
	fx, err := LoadFixture("testdata/kms.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := Start(fx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func kmsClient(t *testing.T, sim *Server, keyID, region string) *kms.Client {
	t.Helper()
	cfg := sdkConfig(t, sim, keyID)
	cfg.Region = region
	return kms.NewFromConfig(cfg)
}

// TestKMSRoundTrip encrypts with the key named each way KMS accepts and decrypts without
// naming the key (the blob names it) and with it; the encryption context must come back
// the same, in any order.
func TestKMSRoundTrip(t *testing.T) {
	sim := startKMSSim(t)
	client := kmsClient(t, sim, kmsUserKey, region)
	secret := []byte("sops-data-key-0123456789abcdef!!")
	ctx := map[string]string{"app": "grafana", "env": "prod"}
	for _, id := range []string{sopsKeyID, sopsKeyARN, "alias/sops", "arn:aws:kms:eu-west-1:111122223333:alias/sops"} {
		t.Run(id, func(t *testing.T) {
			enc, err := client.Encrypt(ctxT(t), &kms.EncryptInput{KeyId: aws.String(id), Plaintext: secret, EncryptionContext: ctx})
			if err != nil {
				t.Fatalf("Encrypt: %v", err)
			}
			if aws.ToString(enc.KeyId) != sopsKeyARN || enc.EncryptionAlgorithm != kmstypes.EncryptionAlgorithmSpecSymmetricDefault {
				t.Errorf("Encrypt answered key %s, algorithm %s", aws.ToString(enc.KeyId), enc.EncryptionAlgorithm)
			}
			if bytes.Contains(enc.CiphertextBlob, secret) {
				t.Fatalf("the ciphertext holds the plaintext")
			}
			for _, keyID := range []*string{nil, aws.String(id)} {
				dec, err := client.Decrypt(ctxT(t), &kms.DecryptInput{
					CiphertextBlob: enc.CiphertextBlob, KeyId: keyID,
					EncryptionContext: map[string]string{"env": "prod", "app": "grafana"},
				})
				if err != nil {
					t.Fatalf("Decrypt (key id %v): %v", aws.ToString(keyID), err)
				}
				if !bytes.Equal(dec.Plaintext, secret) || aws.ToString(dec.KeyId) != sopsKeyARN {
					t.Errorf("Decrypt gave %q with key %s", dec.Plaintext, aws.ToString(dec.KeyId))
				}
			}
		})
	}
}

// TestKMSGenerateDataKey: the data key has the size asked for, and its blob decrypts to it.
func TestKMSGenerateDataKey(t *testing.T) {
	sim := startKMSSim(t)
	client := kmsClient(t, sim, kmsUserKey, region)
	cases := []struct {
		name string
		in   kms.GenerateDataKeyInput
		size int
	}{
		{"AES_256", kms.GenerateDataKeyInput{KeySpec: kmstypes.DataKeySpecAes256}, 32},
		{"AES_128", kms.GenerateDataKeyInput{KeySpec: kmstypes.DataKeySpecAes128}, 16},
		{"64 bytes", kms.GenerateDataKeyInput{NumberOfBytes: aws.Int32(64)}, 64},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.KeyId = aws.String("alias/sops")
			out, err := client.GenerateDataKey(ctxT(t), &in)
			if err != nil {
				t.Fatalf("GenerateDataKey: %v", err)
			}
			if len(out.Plaintext) != tc.size {
				t.Errorf("data key of %d bytes, want %d", len(out.Plaintext), tc.size)
			}
			if seen[string(out.Plaintext)] {
				t.Errorf("the same data key twice")
			}
			seen[string(out.Plaintext)] = true
			dec, err := client.Decrypt(ctxT(t), &kms.DecryptInput{CiphertextBlob: out.CiphertextBlob})
			if err != nil {
				t.Fatalf("Decrypt: %v", err)
			}
			if !bytes.Equal(dec.Plaintext, out.Plaintext) {
				t.Errorf("the blob decrypts to another key")
			}
		})
	}
}

// TestKMSErrors: each way KMS refuses, with the error code AWS gives.
func TestKMSErrors(t *testing.T) {
	sim := startKMSSim(t)
	other := startKMSSim(t) // same fixture, other key material
	user := kmsClient(t, sim, kmsUserKey, region)
	blob := func(t *testing.T, s *Server, ctx map[string]string) []byte {
		out, err := kmsClient(t, s, kmsUserKey, region).Encrypt(ctxT(t), &kms.EncryptInput{
			KeyId: aws.String(sopsKeyID), Plaintext: []byte("data key"), EncryptionContext: ctx,
		})
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		return out.CiphertextBlob
	}
	decrypt := func(c *kms.Client, in kms.DecryptInput) func(t *testing.T) error {
		return func(t *testing.T) error { _, err := c.Decrypt(ctxT(t), &in); return err }
	}
	encrypt := func(c *kms.Client, key string, plain []byte) func(t *testing.T) error {
		return func(t *testing.T) error {
			_, err := c.Encrypt(ctxT(t), &kms.EncryptInput{KeyId: aws.String(key), Plaintext: plain})
			return err
		}
	}
	good := blob(t, sim, map[string]string{"app": "grafana"})
	tampered := bytes.Clone(good)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name, code, msg string
		call            func(t *testing.T) error
	}{
		{"unknown key", "NotFoundException", "does not exist", encrypt(user, "alias/nope", []byte("x"))},
		{"disabled key", "DisabledException", "is disabled", encrypt(user, disabledKeyID, []byte("x"))},
		{"no kms:Decrypt", "AccessDeniedException", "not authorized to perform: kms:Decrypt on resource: " + sopsKeyARN,
			decrypt(kmsClient(t, sim, kmsEncrypterKey, region), kms.DecryptInput{CiphertextBlob: good, EncryptionContext: map[string]string{"app": "grafana"}})},
		{"no permissions", "AccessDeniedException", "kms:Encrypt", encrypt(kmsClient(t, sim, kmsNobodyKey, region), sopsKeyID, []byte("x"))},
		{"key of another account", "AccessDeniedException", "no resource-based policy", encrypt(user, otherAcctARN, []byte("x"))},
		{"key ARN of another region", "NotFoundException", "", encrypt(user, usEastKeyARN, []byte("x"))},
		{"plaintext too long", "ValidationException", "4096", encrypt(user, sopsKeyID, make([]byte, 4097))},
		{"context missing", "InvalidCiphertextException", "", decrypt(user, kms.DecryptInput{CiphertextBlob: good})},
		{"context changed", "InvalidCiphertextException", "",
			decrypt(user, kms.DecryptInput{CiphertextBlob: good, EncryptionContext: map[string]string{"app": "other"}})},
		{"blob changed", "InvalidCiphertextException", "",
			decrypt(user, kms.DecryptInput{CiphertextBlob: tampered, EncryptionContext: map[string]string{"app": "grafana"}})},
		{"blob of another simulator", "InvalidCiphertextException", "", decrypt(user, kms.DecryptInput{CiphertextBlob: blob(t, other, nil)})},
		{"blob decrypted in another region", "InvalidCiphertextException", "",
			decrypt(kmsClient(t, sim, kmsUserKey, "us-east-1"), kms.DecryptInput{CiphertextBlob: good, EncryptionContext: map[string]string{"app": "grafana"}})},
		{"another key named", "IncorrectKeyException", "",
			decrypt(user, kms.DecryptInput{CiphertextBlob: good, KeyId: aws.String(disabledKeyID), EncryptionContext: map[string]string{"app": "grafana"}})},
		{"neither key spec nor size", "ValidationException", "key spec", func(t *testing.T) error {
			_, err := user.GenerateDataKey(ctxT(t), &kms.GenerateDataKeyInput{KeyId: aws.String(sopsKeyID)})
			return err
		}},
		{"bad signature", "InvalidSignatureException", "", func(t *testing.T) error {
			cfg := configWith(sim, staticCreds(kmsUserKey, "not-the-secret"))
			_, err := kms.NewFromConfig(cfg).Encrypt(ctxT(t), &kms.EncryptInput{KeyId: aws.String(sopsKeyID), Plaintext: []byte("x")})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(t)
			if code := apiCode(err); code != tc.code {
				t.Fatalf("error %v: code %q, want %s", err, code, tc.code)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error lacks %q: %v", tc.msg, err)
			}
		})
	}
	var kmsCalls, denied int
	for _, c := range sim.Calls() {
		if c.Service == "kms" {
			kmsCalls++
			if c.ErrorCode == "AccessDenied" || c.ErrorCode == "AccessDeniedException" {
				denied++
			}
		}
	}
	if kmsCalls < len(cases) || denied != 3 {
		t.Errorf("the simulator recorded %d KMS calls, %d denied; want at least %d, and 3", kmsCalls, denied, len(cases))
	}
}

// TestKMSFixtureChecks: keys without account or region, bad ids and aliases, and a name used
// twice are refused when the fixture loads.
func TestKMSFixtureChecks(t *testing.T) {
	_, err := ParseFixture([]byte(`
accounts: [{id: "111122223333"}]
kmsKeys:
  - {account: "111122223333", id: k1}
  - {account: "111122223333", region: eu-west-1, id: "bad id"}
  - {account: "111122223333", region: eu-west-1, id: k2, aliases: [alias/aws/ssm, nope]}
  - {account: "111122223333", region: eu-west-1, id: k3, aliases: [alias/x]}
  - {account: "111122223333", region: eu-west-1, id: k4, aliases: [alias/x]}
`))
	if err == nil {
		t.Fatal("the fixture was accepted")
	}
	for _, w := range []string{"kmsKeys[0]: kms key k1: account (12 digits) and region are required", `kms key "bad id"`,
		`alias "alias/aws/ssm"`, `alias "nope"`, "kmsKeys[4]: alias/x is used twice"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}
