package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/cli"
)

// The scenarios of kaji doctor run end to end in internal/doctor; these cover the flags.
func TestDoctorFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	if err := os.WriteFile(file, []byte("apiVersion: kaji.dev/v1alpha1\nproject: p\nreleases: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badCopy := filepath.Join(dir, "aws-auth.yaml")
	if err := os.WriteFile(badCopy, []byte("kind: Secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"unknown output", []string{"doctor", "-f", file, "-o", "yaml"}, cli.ExitError, `--output "yaml": want text or json`},
		{"missing aws-auth copy", []string{"doctor", "-f", file, "--aws-auth", filepath.Join(dir, "none.yaml")}, cli.ExitError, "none.yaml"},
		{"not an aws-auth copy", []string{"doctor", "-f", file, "--aws-auth", badCopy}, cli.ExitError, `want a ConfigMap, got kind "Secret"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := kaji(t, "", false, c.args...)
			if r.code != c.code || !strings.Contains(r.err, c.contains) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", r.code, c.code, r.err, c.contains)
			}
		})
	}
}

// An error doctor can explain ends with the pointer to it; others do not.
func TestDoctorHintAfterErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	body := "apiVersion: kaji.dev/v1alpha1\nproject: p\ncluster:\n  kubeContext: nowhere\nreleases: []\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(empty, []byte("apiVersion: v1\nkind: Config\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := kaji(t, "", false, "apply", "--yes", "-f", file, "--kubeconfig", empty)
	if r.code != cli.ExitError || !strings.HasSuffix(r.err, "run `kaji doctor` to find the broken link\n") {
		t.Errorf("a kubeconfig error: exit %d, stderr:\n%s", r.code, r.err)
	}
	r = kaji(t, "", false, "apply", "--yes", "-f", filepath.Join(dir, "none.yaml"))
	if strings.Contains(r.err, "kaji doctor") {
		t.Errorf("a missing kaji.yaml points at doctor:\n%s", r.err)
	}
}
