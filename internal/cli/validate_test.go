package cli_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/render/corpus"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/validate")

// validateProject copies testdata/validate into a temporary directory, points @CORPUS@ in
// the project's kaji.yaml at the chart corpus, and changes into the project's directory, so
// that findings name files relative to it. It returns the golden directory and the Kubernetes
// version of a real build of kaji, which the corpus charts need.
func validateProject(t *testing.T, project string) (golden, kubeVersion string) {
	t.Helper()
	golden, err := filepath.Abs("testdata/validate")
	if err != nil {
		t.Fatal(err)
	}
	charts, err := corpus.Dir()
	if err != nil {
		t.Fatal(err)
	}
	if charts, err = filepath.Abs(charts); err != nil {
		t.Fatal(err)
	}
	kubeVersion, err = corpus.KubeVersion()
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(golden)); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dst, project, "kaji.yaml")
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, bytes.ReplaceAll(body, []byte("@CORPUS@"), []byte(charts)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(filepath.Join(dst, project))
	return golden, kubeVersion
}

// assertGolden compares got with the golden file, or rewrites it under -update.
func assertGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run TestValidate -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update if the change is right)\n--- got:\n%s\n--- want:\n%s",
			filepath.Base(path), got, want)
	}
}

func TestValidateGolden(t *testing.T) {
	cases := []struct {
		name, project string
		args          []string
		code          int
	}{
		// A typo in inline values, in a values file and in an environment override, a schema
		// violation in a values file and in kaji.yaml, a required property nobody set, a
		// values file that is not YAML, a template error, a duplicate object, an object
		// without a name, a key without effect, and a typo in a corpus chart.
		{"mistakes", "mistakes", []string{"--env", "prod"}, cli.ExitError},
		{"spec", "spec", nil, cli.ExitError},
		{"warnings", "warnings", nil, cli.ExitOK},
		{"warnings-strict", "warnings", []string{"--strict"}, cli.ExitError},
		{"clean", "clean", nil, cli.ExitOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden, kv := validateProject(t, c.project)
			for _, format := range []string{"text", "json"} {
				args := append([]string{"validate", "--kube-version", kv, "-o", format}, c.args...)
				r := kaji(t, "", false, args...)
				if r.code != c.code {
					t.Errorf("-o %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", format, r.code, c.code, r.out, r.err)
				}
				if r.err != "" {
					t.Errorf("-o %s: stderr is not empty:\n%s", format, r.err)
				}
				ext := map[string]string{"text": ".txt", "json": ".json"}[format]
				assertGolden(t, filepath.Join(golden, c.name+ext), r.out)
			}
		})
	}
}

// TestValidateMistakesAreAllThere guards the golden file of the mistakes project: every kind
// of mistake must stay in it, at the key the user wrote.
func TestValidateMistakesAreAllThere(t *testing.T) {
	_, kv := validateProject(t, "mistakes")
	r := kaji(t, "", false, "validate", "--env", "prod", "--kube-version", kv)
	for _, want := range []string{
		"values/web.yaml:1:1  replicaCont: chart web does not use this key, so it changes nothing; did you mean replicaCount?",
		"kaji.yaml:12:7  servce: chart web does not use this key, so it changes nothing; did you mean service?",
		"kaji.yaml:46:11  replicaCuont: chart web does not use this key",
		"kaji.yaml:15:9  ingress.host: has no effect while ingress.enabled is false [no-effect]",
		"values/web.yaml:3:3  image.tag: got number, want string",
		"kaji.yaml:26:5  owner: is required",
		"kaji.yaml:30:7  team: got number, want string",
		"values/broken.yaml:2  invalid YAML: did not find expected key",
		"broken/templates/_helpers.tpl:2:",
		"dup/templates/more.yaml  document 1: ConfigMap settings is rendered twice",
		"dup/templates/config.yaml  document 2: the object has no metadata.name",
		"kaji.yaml:37:9  controller.replicaCont: chart ingress-nginx does not use this key, so it changes nothing; did you mean controller.replicaCount?",
		"7 errors, 4 warnings, 1 info",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
}

func TestValidateColour(t *testing.T) {
	_, kv := validateProject(t, "warnings")
	cases := []struct {
		name        string
		interactive bool
		noColor     string
		colour      bool
	}{
		{"terminal", true, "", true},
		{"terminal with NO_COLOR", true, "1", false},
		{"pipe", false, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", c.noColor)
			r := kaji(t, "", c.interactive, "validate", "--kube-version", kv)
			if got := strings.Contains(r.out, "\x1b["); got != c.colour {
				t.Errorf("colour = %v, want %v:\n%q", got, c.colour, r.out)
			}
			if !strings.Contains(r.out, "image.tagg") {
				t.Errorf("the finding is missing:\n%s", r.out)
			}
		})
	}
}

// documentedFinding is a finding as docs/validate-json.md describes it.
type documentedFinding struct {
	Severity   string   `json:"severity"`
	Code       string   `json:"code"`
	Release    string   `json:"release"`
	File       string   `json:"file"`
	Line       int      `json:"line"`
	Column     int      `json:"column"`
	Path       []string `json:"path"`
	Message    string   `json:"message"`
	Suggestion []string `json:"suggestion"`
	Gate       []string `json:"gate"`
}

func TestValidateJSONFormat(t *testing.T) {
	severities := []string{"error", "warning", "info"}
	codes := []string{"spec", "chart", "values-yaml", "values", "schema", "render", "manifest", "unknown-key", "no-effect", "analysis"}
	required := []string{"severity", "code", "release", "file", "line", "column", "path", "message", "suggestion"}
	for _, project := range []string{"mistakes", "spec", "clean"} {
		t.Run(project, func(t *testing.T) {
			_, kv := validateProject(t, project)
			r := kaji(t, "", false, "validate", "-o", "json", "--env", map[string]string{"mistakes": "prod"}[project], "--kube-version", kv)

			var doc struct {
				Findings []documentedFinding `json:"findings"`
			}
			dec := json.NewDecoder(strings.NewReader(r.out))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&doc); err != nil {
				t.Fatalf("output does not decode into the documented format: %v\n%s", err, r.out)
			}
			var raw struct {
				Findings []map[string]json.RawMessage `json:"findings"`
			}
			if err := json.Unmarshal([]byte(r.out), &raw); err != nil {
				t.Fatal(err)
			}
			if raw.Findings == nil || !strings.Contains(r.out, `"findings": [`) {
				t.Errorf("findings is not a list:\n%s", r.out)
			}
			if project == "clean" && len(doc.Findings) != 0 {
				t.Errorf("clean project has findings:\n%s", r.out)
			}
			for i, f := range raw.Findings {
				for _, k := range required {
					if _, ok := f[k]; !ok {
						t.Errorf("finding %d lacks %q: %v", i, k, f)
					}
				}
				if string(f["path"]) == "null" {
					t.Errorf("finding %d: path is null, want a list", i)
				}
				d := doc.Findings[i]
				_, hasGate := f["gate"]
				if hasGate && d.Code != "no-effect" {
					t.Errorf("finding %d: gate on a %s finding", i, d.Code)
				}
				if !slices.Contains(severities, d.Severity) || !slices.Contains(codes, d.Code) {
					t.Errorf("finding %d: undocumented severity %q or code %q", i, d.Severity, d.Code)
				}
				if d.File == "" || d.Message == "" || d.Line < 0 || d.Column < 0 {
					t.Errorf("finding %d: incomplete: %+v", i, d)
				}
			}
		})
	}
}

func TestValidateUsage(t *testing.T) {
	_, kv := validateProject(t, "clean")
	cases := []struct {
		args     []string
		contains string
	}{
		{[]string{"validate", "-o", "yaml"}, `unknown output format "yaml"`},
		{[]string{"validate", "extra"}, "takes no arguments"},
		{[]string{"validate", "--strict=maybe"}, "invalid argument"},
	}
	for _, c := range cases {
		r := kaji(t, "", false, append(c.args, "--kube-version", kv)...)
		if r.code != cli.ExitError || !strings.Contains(r.err, c.contains) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, r.code, r.err, cli.ExitError, c.contains)
		}
	}
	r := kaji(t, "", false, "validate", "--help")
	for _, want := range []string{"Exit status: 0", "1 when", "called wrongly"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("--help does not document the exit codes (%q):\n%s", want, r.out)
		}
	}
}

// listener accepts TCP connections on a local port and counts them, without ever answering.
type listener struct {
	net.Listener
	conns atomic.Int32
}

func listen(t *testing.T) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{Listener: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.conns.Add(1)
			c.Close()
		}
	}()
	return l
}

// closedPort returns a local address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// kubeconfigFor writes a kubeconfig whose only cluster is at addr and points KUBECONFIG at it.
func kubeconfigFor(t *testing.T, addr string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	body := `apiVersion: v1
kind: Config
clusters:
  - name: nowhere
    cluster: {server: "https://` + addr + `", insecure-skip-tls-verify: true}
users:
  - name: nobody
    user: {token: not-a-token}
contexts:
  - name: nowhere
    context: {cluster: nowhere, user: nobody}
current-context: nowhere
`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", path)
	return path
}

// TestValidateIsOffline runs validate with every kubeconfig pointing at a port that counts
// connections: validate must work and never connect.
func TestValidateIsOffline(t *testing.T) {
	for _, c := range []struct {
		project string
		code    int
	}{{"mistakes", cli.ExitError}, {"clean", cli.ExitOK}} {
		t.Run(c.project, func(t *testing.T) {
			_, kv := validateProject(t, c.project)
			l := listen(t)
			kc := kubeconfigFor(t, l.Addr().String())
			r := kaji(t, "", false, "validate", "--kubeconfig", kc, "--kube-context", "nowhere", "--kube-version", kv)
			if r.code != c.code || !strings.HasSuffix(r.out, " info\n") {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, c.code, r.out, r.err)
			}
			if n := l.conns.Load(); n != 0 {
				t.Errorf("validate connected to the cluster %d time(s)", n)
			}
		})
	}
}

// TestApplyRefusesOnErrors runs apply on a project with mistakes against a cluster that is
// not there: apply must stop at the validation findings and never get to the cluster.
func TestApplyRefusesOnErrors(t *testing.T) {
	validateProject(t, "mistakes")
	for _, c := range []struct {
		name string
		addr func(t *testing.T) (string, func() int32)
	}{
		{"closed port", func(t *testing.T) (string, func() int32) { return closedPort(t), func() int32 { return 0 } }},
		{"counting port", func(t *testing.T) (string, func() int32) { l := listen(t); return l.Addr().String(), l.conns.Load }},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr, conns := c.addr(t)
			kc := kubeconfigFor(t, addr)
			r := kaji(t, "", false, "apply", "--yes", "--env", "prod", "--kubeconfig", kc)
			if r.code != cli.ExitError {
				t.Errorf("exit %d, want %d", r.code, cli.ExitError)
			}
			for _, want := range []string{"values/web.yaml:3:3  image.tag: got number, want string", "apply: nothing was changed"} {
				if !strings.Contains(r.err, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.err)
				}
			}
			for _, bad := range []string{"connection refused", "dial tcp", "kaji apply: project"} {
				if strings.Contains(r.out+r.err, bad) {
					t.Errorf("apply went on to the cluster (%q):\nstdout:\n%s\nstderr:\n%s", bad, r.out, r.err)
				}
			}
			if n := conns(); n != 0 {
				t.Errorf("apply connected to the cluster %d time(s)", n)
			}
		})
	}
}

// TestApplyGoesOnWithWarnings applies a project whose only finding is a warning to the test
// cluster: the warning is printed and the release is installed.
func TestApplyGoesOnWithWarnings(t *testing.T) {
	ns := env.Namespace(t)
	validateProject(t, "warnings")
	body, err := os.ReadFile("kaji.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("kaji.yaml", bytes.ReplaceAll(body, []byte("namespace: shop"), []byte("namespace: "+ns)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := kaji(t, "", false, "apply", "--yes", "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.err, "image.tagg: chart web does not use this key") {
		t.Errorf("the warning was not printed:\n%s", r.err)
	}
	if !strings.Contains(r.out, "installed web-0.1.0, revision 1") {
		t.Errorf("web was not installed:\n%s", r.out)
	}
}

// TestValidateRemembersUnlessTurnedOff shows where the releases found clean are remembered
// (the user cache directory) and that KAJI_NO_VALIDATION_CACHE=1 leaves that cache alone.
func TestValidateRemembersUnlessTurnedOff(t *testing.T) {
	_, kv := validateProject(t, "clean")
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	entries := func() int {
		files, err := os.ReadDir(filepath.Join(cache, "kaji", "validate"))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		return len(files)
	}
	t.Setenv("KAJI_NO_VALIDATION_CACHE", "1")
	if r := kaji(t, "", false, "validate", "--kube-version", kv); r.code != cli.ExitOK {
		t.Fatalf("validate: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if n := entries(); n != 0 {
		t.Errorf("with KAJI_NO_VALIDATION_CACHE=1, %d entries were remembered, want none", n)
	}
	t.Setenv("KAJI_NO_VALIDATION_CACHE", "")
	if r := kaji(t, "", false, "validate", "--kube-version", kv); r.code != cli.ExitOK {
		t.Fatalf("validate: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if n := entries(); n == 0 {
		t.Error("validate remembered no clean release in $XDG_CACHE_HOME/kaji/validate")
	}
}
