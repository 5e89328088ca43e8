package cdk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyFixture copies the fixture's cloud assembly into a new directory named cdk.out.
func copyFixture(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cdk.out")
	err := filepath.WalkDir(fixture, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(fixture, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string
		says  []string
	}{
		{
			name:  "missing directory",
			setup: func(t *testing.T) string { return filepath.Join(t.TempDir(), "cdk.out") },
			says:  []string{"no directory", "cdk.out", "run cdk synth"},
		},
		{
			name:  "empty directory",
			setup: func(t *testing.T) string { return t.TempDir() },
			says:  []string{"no manifest.json in", "not a synthesized cloud assembly"},
		},
		{
			name: "a file",
			setup: func(t *testing.T) string {
				p := filepath.Join(t.TempDir(), "manifest.json")
				if err := os.WriteFile(p, []byte("{}"), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			},
			says: []string{"is not a directory"},
		},
		{
			name: "no stacks",
			setup: func(t *testing.T) string {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"version":"55.0.0","artifacts":{}}`), 0o644); err != nil {
					t.Fatal(err)
				}
				return dir
			},
			says: []string{"holds no CloudFormation stacks"},
		},
		{
			name: "malformed manifest",
			setup: func(t *testing.T) string {
				dir := copyFixture(t)
				if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"artifacts": {`), 0o644); err != nil {
					t.Fatal(err)
				}
				return dir
			},
			says: []string{filepath.Join("cdk.out", "manifest.json") + " is not valid JSON"},
		},
		{
			name: "malformed template",
			setup: func(t *testing.T) string {
				dir := copyFixture(t)
				if err := os.WriteFile(filepath.Join(dir, "Tools.template.json"), []byte(`{"Resources": [}`), 0o644); err != nil {
					t.Fatal(err)
				}
				return dir
			},
			says: []string{filepath.Join("cdk.out", "Tools.template.json") + " is not valid JSON"},
		},
		{
			name: "malformed nested template",
			setup: func(t *testing.T) string {
				dir := copyFixture(t)
				if err := os.WriteFile(filepath.Join(dir, "PlatformAddonsDD295DE5.nested.template.json"), []byte(`not json`), 0o644); err != nil {
					t.Fatal(err)
				}
				return dir
			},
			says: []string{"PlatformAddonsDD295DE5.nested.template.json is not valid JSON"},
		},
		{
			name: "missing nested template",
			setup: func(t *testing.T) string {
				dir := copyFixture(t)
				if err := os.Remove(filepath.Join(dir, "PlatformAddonsDD295DE5.nested.template.json")); err != nil {
					t.Fatal(err)
				}
				return dir
			},
			says: []string{"PlatformAddonsDD295DE5.nested.template.json is missing", "synthesize the app again"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found, err := Read(tc.setup(t), Options{})
			if err == nil {
				t.Fatalf("no error; found %d releases", len(found.Releases))
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

// TestReadNoCharts checks a stack without HelmCharts: no releases and a note that says so.
func TestReadNoCharts(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("manifest.json", `{"artifacts":{"Empty":{"type":"aws:cloudformation:stack","environment":"aws://unknown-account/unknown-region","properties":{"templateFile":"Empty.template.json"}}}}`)
	write("Empty.template.json", `{"Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}`)
	found, err := Read(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(found.Releases) != 0 || found.Cluster != nil {
		t.Errorf("found %d releases and cluster %v, want none", len(found.Releases), found.Cluster)
	}
	checkNotes(t, "found", found.Notes, []note{{says: []string{"no Custom::AWSCDK-EKS-HelmChart resources", "Empty"}}})
}
