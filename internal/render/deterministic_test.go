package render

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// renderOne renders a one-template chart and returns the text.
func renderOne(t *testing.T, r *Renderer, text string) string {
	t.Helper()
	files, err := r.Render(context.Background(), testChart(map[string]string{"templates/t.yaml": text}), nil)
	if err != nil {
		t.Fatal(err)
	}
	return files["test/templates/t.yaml"]
}

func TestDeterministicRandomFunctions(t *testing.T) {
	a := newRenderer(t, Options{Deterministic: true, CacheSize: -1})
	b := newRenderer(t, Options{Deterministic: true, CacheSize: -1})
	for _, tc := range []struct {
		text string
		want *regexp.Regexp
	}{
		{`{{ randAlphaNum 16 }}`, regexp.MustCompile(`^[a-zA-Z0-9]{16}$`)},
		{`{{ randAlpha 12 }}`, regexp.MustCompile(`^[a-zA-Z]{12}$`)},
		{`{{ randNumeric 9 }}`, regexp.MustCompile(`^[0-9]{9}$`)},
		{`{{ randAscii 20 | len }}`, regexp.MustCompile(`^20$`)},
		{`{{ randInt 5 10 }}`, regexp.MustCompile(`^[5-9]$`)},
		{`{{ randBytes 6 }}`, regexp.MustCompile(`^[A-Za-z0-9+/]{8}$`)},
		{`{{ uuidv4 }}`, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)},
		{`{{ "abcdef" | shuffle | len }}`, regexp.MustCompile(`^6$`)},
		{`{{ htpasswd "u" "p" }}`, regexp.MustCompile(`^u:\$2a\$`)},
		{`{{ encryptAES "k" "secret" | decryptAES "k" }}`, regexp.MustCompile(`^secret$`)},
	} {
		x, y := renderOne(t, a, tc.text), renderOne(t, b, tc.text)
		if !tc.want.MatchString(x) {
			t.Errorf("%s = %q, want %s", tc.text, x, tc.want)
		}
		if !strings.Contains(tc.text, "htpasswd") && !strings.Contains(tc.text, "encryptAES") && x != y {
			t.Errorf("%s differs between two renderers: %q and %q", tc.text, x, y)
		}
		if again := renderOne(t, a, tc.text); again != x {
			t.Errorf("%s differs between two renders: %q and %q", tc.text, x, again)
		}
	}
	if renderOne(t, a, `{{ randAlphaNum 10 }}`) == renderOne(t, a, `{{ randAlphaNum 11 | trunc 10 }}`) {
		t.Error("randAlphaNum 10 and 11 share their first 10 characters; the arguments do not seed them")
	}
}

func TestDeterministicClock(t *testing.T) {
	now := time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)
	r := newRenderer(t, Options{Deterministic: true, Now: now})
	for text, want := range map[string]string{
		`{{ now | date "2006-01-02T15:04:05Z07:00" }}`:              "2030-03-04T05:06:07Z",
		`{{ dateInZone "2006-01-02 15:04" "not-a-time" "UTC" }}`:    "2030-03-04 05:06",
		`{{ htmlDateInZone 0 "UTC" }}`:                              "1970-01-01",
		`{{ now | dateModify "-1h" | ago }}`:                        "1h0m0s",
		`{{ now | dateModify "-50h" | durationRound }}`:             "2d",
		`{{ dict "b" 1 "a" 2 "c" 3 | keys | join "," }}`:            "a,b,c",
		`{{ dict "b" 1 "a" 2 "c" 3 | values | toJson }}`:            "[2,1,3]",
		`{{ list (dict "x" 1) (dict "y" 2) | first | keys | len }}`: "1",
	} {
		if got := renderOne(t, r, text); got != want {
			t.Errorf("%s = %q, want %q", text, got, want)
		}
	}
	if got, want := renderOne(t, r, `{{ now | unixEpoch }}`), strconv.FormatInt(now.Unix(), 10); got != want {
		t.Errorf("unixEpoch of now: %s, want %s", got, want)
	}
	if got := renderOne(t, newRenderer(t, Options{Deterministic: true}), `{{ now | date "2006" }}`); got != "2024" {
		t.Errorf("default now: year %s, want 2024", got)
	}
}

// TestDeterministicCertificates checks that certificates are real, repeated for the same
// arguments, and distinct for different ones.
func TestDeterministicCertificates(t *testing.T) {
	r := newRenderer(t, Options{Deterministic: true, CacheSize: -1})
	const ca = `{{ $ca := genCA "my-ca" 365 }}`
	first := renderOne(t, r, ca+`{{ $ca.Cert }}`)
	if first != renderOne(t, r, ca+`{{ $ca.Cert }}`) {
		t.Error("genCA with the same arguments gave two certificates")
	}
	if first == renderOne(t, r, `{{ (genCA "other-ca" 365).Cert }}`) {
		t.Error("genCA with different names gave the same certificate")
	}
	block, _ := pem.Decode([]byte(first))
	if block == nil {
		t.Fatalf("genCA gave no PEM: %q", first)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.IsCA || cert.Subject.CommonName != "my-ca" {
		t.Errorf("CA certificate: IsCA %v, CN %q", cert.IsCA, cert.Subject.CommonName)
	}
	signed := ca + `{{ $c := genSignedCert "svc" nil (list "svc.ns") 365 $ca }}{{ $c.Cert }}`
	if renderOne(t, r, signed) != renderOne(t, r, signed) {
		t.Error("genSignedCert with the same CA and arguments gave two certificates")
	}
}

// TestOffline checks that rendering never reaches out: lookup finds nothing and DNS names do
// not resolve, as with `helm template`.
func TestOffline(t *testing.T) {
	for _, det := range []bool{false, true} {
		r := newRenderer(t, Options{Deterministic: det})
		text := `{{ lookup "v1" "Secret" "ns" "name" | len }}/{{ getHostByName "example.com" | quote }}`
		if got := renderOne(t, r, text); got != `0/""` {
			t.Errorf("deterministic %v: %s", det, got)
		}
	}
}

// TestPlainModeKeepsHelmFunctions checks that without deterministic mode nothing is replaced.
func TestPlainModeKeepsHelmFunctions(t *testing.T) {
	r := newRenderer(t, Options{CacheSize: -1})
	if r.TemplateFuncs() != nil {
		t.Error("plain mode adds template functions")
	}
	if renderOne(t, r, `{{ randAlphaNum 32 }}`) == renderOne(t, r, `{{ randAlphaNum 32 }}`) {
		t.Error("randAlphaNum repeated itself in plain mode")
	}
}

// TestDeterministicRSAKeysAreOneFixedKey checks that deterministic mode generates no RSA key:
// genPrivateKey "rsa" and the certificates' keys are the same key in every Renderer (a
// generated key would differ between two Renderers), and it is a usable RSA key.
func TestDeterministicRSAKeysAreOneFixedKey(t *testing.T) {
	one := newRenderer(t, Options{Deterministic: true, CacheSize: -1})
	two := newRenderer(t, Options{Deterministic: true, CacheSize: -1})
	const key = `{{ genPrivateKey "rsa" }}`
	pemKey := renderOne(t, one, key)
	if pemKey != renderOne(t, two, key) {
		t.Fatal("genPrivateKey \"rsa\" gave two keys in two Renderers")
	}
	block, _ := pem.Decode([]byte(pemKey))
	if block == nil || block.Type != "RSA PRIVATE KEY" {
		t.Fatalf("genPrivateKey \"rsa\": %q, want an RSA PRIVATE KEY block", pemKey)
	}
	priv, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		`{{ (genCA "ca" 365).Key }}`,
		`{{ (genSelfSignedCert "svc" nil (list "svc.ns") 365).Key }}`,
		`{{ (genSignedCert "svc" nil nil 365 (genCA "ca" 365)).Key }}`,
	} {
		if got := renderOne(t, two, text); got != pemKey {
			t.Errorf("%s: not the fixed key:\n%s", text, got)
		}
	}
	cert := renderOne(t, one, `{{ (genSelfSignedCert "svc" nil nil 365).Cert }}`)
	cb, _ := pem.Decode([]byte(cert))
	if cb == nil {
		t.Fatalf("genSelfSignedCert gave no certificate: %q", cert)
	}
	c, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !priv.PublicKey.Equal(c.PublicKey) {
		t.Error("the certificate is not for the fixed key")
	}
	if k := renderOne(t, one, `{{ genPrivateKey "ecdsa" }}`); !strings.Contains(k, "EC PRIVATE KEY") {
		t.Errorf("genPrivateKey \"ecdsa\": %q", k)
	}
}
