package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/cli"
)

const completionFile = `apiVersion: kaji.dev/v1alpha1
project: shop
releases:
  - name: cache
    namespace: data
    chart: oci://example.com/charts/cache
    labels: {team: platform, tier: db}
  - name: web
    namespace: shop
    chart: oci://example.com/charts/web
    needs: [cache]
    labels: {team: shop, tier: front}
  - name: worker
    namespace: shop
    chart: oci://example.com/charts/worker
    labels: {team: shop}
  - name: debug
    namespace: shop
    chart: oci://example.com/charts/debug
    enabled: false
    labels: {team: qa}
environments:
  test:
    releases:
      worker: {enabled: false}
  prod: {}
  preview: {}
`

// complete runs kaji's hidden __complete command, as the shell scripts do, and returns the
// completions, one per line, and the directive line.
func complete(t *testing.T, args ...string) (completions []string, directive string) {
	t.Helper()
	r := kaji(t, "", false, append([]string{"__complete"}, args...)...)
	if r.code != cli.ExitOK {
		t.Fatalf("__complete %v: exit %d\n%s%s", args, r.code, r.out, r.err)
	}
	lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kaji.yaml")
	if err := os.WriteFile(file, []byte(completionFile), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file that does not validate still completes: the user may be in the middle of it.
	draft := filepath.Join(dir, "draft.yaml")
	if err := os.WriteFile(draft, []byte(strings.Replace(completionFile, "namespace: data", "namespace: Not_Valid", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	const noFiles = ":4" // cobra.ShellCompDirectiveNoFileComp
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"release names, with chart and namespace", []string{"-f", file, "plan", ""},
			[]string{"cache\toci://example.com/charts/cache in data", "web\toci://example.com/charts/web in shop", "worker\toci://example.com/charts/worker in shop"}},
		{"a prefix", []string{"-f", file, "apply", "w"},
			[]string{"web\toci://example.com/charts/web in shop", "worker\toci://example.com/charts/worker in shop"}},
		{"names given are not offered again", []string{"-f", file, "destroy", "web", ""},
			[]string{"cache\toci://example.com/charts/cache in data", "worker\toci://example.com/charts/worker in shop"}},
		{"the releases of --env", []string{"-f", file, "--env", "test", "status", ""},
			[]string{"cache\toci://example.com/charts/cache in data", "web\toci://example.com/charts/web in shop"}},
		{"an unknown --env completes every declared release", []string{"-f", file, "--env", "nope", "status", "c"},
			[]string{"cache\toci://example.com/charts/cache in data"}},
		{"--release", []string{"-f", file, "plan", "--release", "c"}, []string{"cache\toci://example.com/charts/cache in data"}},
		{"unlock takes one name", []string{"-f", file, "unlock", "c"}, []string{"cache\toci://example.com/charts/cache in data"}},
		{"unlock, a second name", []string{"-f", file, "unlock", "cache", ""}, nil},
		{"environments", []string{"-f", file, "plan", "--env", ""}, []string{"preview", "prod", "test"}},
		{"environments, a prefix", []string{"-f", file, "plan", "--env", "pr"}, []string{"preview", "prod"}},
		{"label pairs", []string{"-f", file, "plan", "-l", ""},
			[]string{"team=platform", "team=shop", "tier=db", "tier=front"}},
		{"label pairs, a prefix", []string{"-f", file, "apply", "--selector", "team="}, []string{"team=platform", "team=shop"}},
		{"the next requirement of a selector", []string{"-f", file, "destroy", "-l", "team=shop,"}, []string{"team=shop,tier=db", "team=shop,tier=front"}},
		{"labels of the releases of --env", []string{"-f", file, "--env", "test", "status", "-l", "team"}, []string{"team=platform", "team=shop"}},
		{"a draft", []string{"-f", draft, "plan", "c"}, []string{"cache\toci://example.com/charts/cache in Not_Valid"}},
		{"no kaji.yaml", []string{"-f", filepath.Join(dir, "missing.yaml"), "plan", ""}, nil},
		{"a directory holding kaji.yaml", []string{"-f", dir, "plan", "we"}, []string{"web\toci://example.com/charts/web in shop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, directive := complete(t, tt.args...)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("completions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if directive != noFiles {
				t.Errorf("directive %s, want %s: file names are no release names", directive, noFiles)
			}
		})
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash":       "__start_kaji",
		"zsh":        "#compdef kaji",
		"fish":       "complete -c kaji",
		"powershell": "Register-ArgumentCompleter",
	} {
		r := kaji(t, "", false, "completion", shell)
		if r.code != cli.ExitOK || !strings.Contains(r.out, marker) || !strings.Contains(r.out, "__complete") {
			t.Errorf("completion %s: exit %d, %d bytes, want a script with %q that calls __complete\n%s", shell, r.code, len(r.out), marker, r.err)
		}
	}
}
