package values_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/secrets/secretstest"
	"kaji.dev/kaji/internal/secrets/sopsvalues"
	"kaji.dev/kaji/internal/values"
)

// Masked values hold no secret, name where each comes from, and change when a secret is
// rotated (a new SSM version, a new Secrets Manager version, a re-encrypted file), not when
// nothing changed.
func TestSetMaskedNamesOriginAndVersion(t *testing.T) {
	sim, _, _ := startSim(t)
	key := secretstest.NewAgeKey(t)
	t.Setenv("SOPS_AGE_KEY", key.Identity())
	file := filepath.Join(t.TempDir(), "db.sops.yaml")
	writeSOPS := func(password string) {
		t.Helper()
		if err := os.WriteFile(file, key.EncryptYAML(t, []byte("db:\n  password: "+password+"\n")), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeSOPS("sops-password-1")
	r := release("db", map[string]any{
		"token": "ref+awsssm:///p/02",
		"db2":   "ref+awssecrets://app/db#/password",
		"plain": "not-a-secret",
	}, file)
	masked := func() (map[string]any, string) {
		t.Helper()
		_, lazy, _ := startSimResolver(t, sim)
		set := values.NewSet(values.Options{Decrypter: sopsvalues.Decrypter{}, Resolver: lazy})
		if _, err := set.Values(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		m, ok := set.Masked(r)
		if !ok {
			t.Fatal("Masked: not ok for a prepared release")
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return m, string(b)
	}
	m, text := masked()
	for _, secret := range []string{"sops-password-1", "secret-value-02", "secret-db-password"} {
		if strings.Contains(text, secret) {
			t.Errorf("masked values hold %q: %s", secret, text)
		}
	}
	if m["plain"] != "not-a-secret" {
		t.Errorf("plain = %v, want it as written", m["plain"])
	}
	for _, want := range []string{"ref+awsssm:///p/02, version 1", "ref+awssecrets://app/db#/password, version ", "secret from " + file + ", sha256:"} {
		if !strings.Contains(text, want) {
			t.Errorf("masked values do not name %q: %s", want, text)
		}
	}
	if _, again := masked(); again != text {
		t.Errorf("nothing changed, but the masked values did:\n%s\n%s", text, again)
	}

	// Each rotation shows.
	rotations := []struct {
		what   string
		rotate func() error
	}{
		{"an SSM parameter", func() error {
			return sim.PutParameter(awssim.Parameter{Account: "111122223333", Region: "eu-west-1", Name: "/p/02", Type: awssim.ParamSecureString, Value: "secret-value-rotated"})
		}},
		{"a Secrets Manager secret", func() error {
			return sim.PutSecret(awssim.Secret{Account: "111122223333", Region: "eu-west-1", Name: "app/db",
				Versions: []awssim.SecretVersion{{Stages: []string{"AWSCURRENT"}, SecretString: `{"password":"rotated-db-password"}`}}})
		}},
		{"a SOPS file", func() error { writeSOPS("sops-password-2"); return nil }},
	}
	for _, rot := range rotations {
		if err := rot.rotate(); err != nil {
			t.Fatal(err)
		}
		_, after := masked()
		if after == text {
			t.Errorf("after rotating %s the masked values are the same: %s", rot.what, after)
		}
		text = after
	}
}
