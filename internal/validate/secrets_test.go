package validate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/secrets/secretstest"
)

// Offline, references are strings whose keys are checked like any other, a malformed one is
// an error at its line, and a SOPS file's keys are checked without its key: no finding about
// its sops metadata, an unknown key at its line.
func TestReferencesAndSOPSFilesOffline(t *testing.T) {
	chart, err := filepath.Abs("testdata/project/charts/app")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("kaji.yaml", `apiVersion: kaji.dev/v1alpha1
project: test
releases:
  - name: app
    namespace: a
    chart: `+chart+`
    valuesFiles: [secret.sops.yaml, refs.yaml]
    values:
      image:
        tag: ref+awsssm://
`)
	write("refs.yaml", `env:
  - name: A
    value: ref+awssecrets://app/db?version_stage=AWSCURRENT&bogus=1
  - name: B
    value: ref+awsssm:///app/fine#/user
imgae: ref+awsssm:///app/tag
replicaCount: ref+awsssm:///app/replicas
`)
	// Without SOPS_AGE_KEY: validate never needs the key.
	t.Setenv("SOPS_AGE_KEY", "")
	key := secretstest.NewAgeKey(t)
	write("secret.sops.yaml", string(key.EncryptYAML(t, []byte("image:\n  tag: \"2\"\nreplicaCont: 3\nreplicaCount: 2\nsub:\n  name: db\n"))))

	rep, err := Run(context.Background(), filepath.Join(dir, "kaji.yaml"), "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, string(f.Code)+" "+filepath.Base(f.Pos.File)+":"+strconv.Itoa(f.Pos.Line)+" "+KeyPath(f.Path))
		if strings.Contains(f.Message, "sops") && f.Code != CodeReference {
			t.Errorf("finding about the SOPS metadata: %+v", f)
		}
	}
	want := []string{
		"no-effect secret.sops.yaml:6 sub.name",
		"reference kaji.yaml:10 image.tag",
		"reference refs.yaml:3 env.0.value",
		"schema refs.yaml:7 replicaCount",
		"unknown-key refs.yaml:6 imgae",
		"unknown-key secret.sops.yaml:3 replicaCont",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range rep.Findings {
		// A reference where the schema wants a number does not block plan and apply, which
		// check the secret itself.
		if f.Code == CodeSchema && (f.Severity != Info || !strings.Contains(f.Message, "plan and apply check it")) {
			t.Errorf("schema finding %+v: want info, checked at plan", f)
		}
		if f.Code == CodeReference && (f.Severity != Error || !strings.Contains(f.Message, "malformed reference")) {
			t.Errorf("reference finding %+v: want an error saying it is malformed", f)
		}
	}
}
