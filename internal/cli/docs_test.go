package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/chart/charttest"
	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/secrets/secretstest"
)

// docsKajiYAML is a project of two environments: a chart of a chart repository (REPO), two
// local charts beside kaji.yaml, a reference to a secret, and in prod a SOPS file.
const docsKajiYAML = `apiVersion: kaji.dev/v1alpha1
project: docs-demo
repositories:
  demo: REPO
releases:
  - name: greeter
    namespace: platform
    chart: demo/greeter
    version: ">=1.0.0 <2"
    values:
      greeting: hello from kaji
  - name: web
    namespace: apps
    chart: ./charts/web
    needs: [greeter]
    values:
      image: {tag: "1.27.1"}
      db:
        host: db.apps
        password: ref+awsssm:///kaji/db/password
  - name: jobs
    namespace: apps
    chart: ./charts/jobs
    needs: [web]
environments:
  test:
    releases:
      jobs: {enabled: false}
  prod:
    cluster: {kubeContext: prod}
    releases:
      web:
        valuesFiles: [values/web-prod.sops.yaml]
        values:
          replicas: 3
          sidecar: {enabled: true}
`

// docsWorld is the project's docs, and the secrets that must never show on its page.
type docsWorld struct {
	path    string
	repoURL string
	sim     *awssim.Server
	secrets []sentinel
}

// docsProject writes the project into a fresh directory, pins its repository chart in
// kaji.lock (1.2.0, the newest then) and publishes a newer version afterwards. The SSM
// parameter and the age key of the SOPS file are within reach: kaji docs must use neither.
func docsProject(t *testing.T) docsWorld {
	t.Helper()
	isolate(t)
	t.Setenv("CI", "")
	ssmS, sopsS := newSentinel("ssm"), newSentinel("sops")
	sim := awssim.StartT(t, strings.NewReplacer("SSMVALUE", strconv.Quote(ssmS.value), "SMVALUE", `"{}"`).Replace(secretsWorld))
	sim.SetEnv(t, "AKIADEPLOYER00000001", "eu-west-1")
	key := secretstest.NewAgeKey(t)
	t.Setenv("SOPS_AGE_KEY", key.Identity())

	repo := charttest.NewRepo(t, "")
	repo.Publish(t, "greeter", "1.0.0", "hello")
	repo.Publish(t, "greeter", "1.2.0", "hi")
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "charts"), os.DirFS("testdata/docs/charts")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "values"), 0o755); err != nil {
		t.Fatal(err)
	}
	sops := key.EncryptYAML(t, []byte("db:\n  password: "+strconv.Quote(sopsS.value)+"\n"))
	if err := os.WriteFile(filepath.Join(dir, "values", "web-prod.sops.yaml"), sops, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kaji.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(docsKajiYAML, "REPO", repo.URL())), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := kaji(t, "", false, "lock", "-f", path); r.code != 0 {
		t.Fatalf("kaji lock: exit %d\n%s%s", r.code, r.out, r.err)
	}
	repo.Publish(t, "greeter", "1.3.0", "hey")
	return docsWorld{path: path, repoURL: repo.URL(), sim: sim, secrets: []sentinel{ssmS, sopsS}}
}

// docs runs kaji docs, fails t on a secret in its output, and returns what it printed.
func (w docsWorld) docs(t *testing.T, args ...string) run {
	t.Helper()
	r := kaji(t, "", false, append([]string{"docs", "-f", w.path}, args...)...)
	for _, s := range w.secrets {
		if leaked := s.leaks(r.out + r.err); len(leaked) > 0 {
			t.Errorf("kaji docs %q printed a secret (%q):\n%s%s", args, leaked, r.out, r.err)
		}
	}
	if calls := w.sim.Calls(); len(calls) != 0 {
		t.Errorf("kaji docs %q made %d AWS calls, want none (it runs offline)", args, len(calls))
	}
	return r
}

// The page of every environment, by name: the pinned chart version, sources, the values
// that differ from the defaults with the reference as written and the SOPS value as its
// file, the images of the rendered pod specs, and the needs as a Mermaid flowchart.
func TestDocsPage(t *testing.T) {
	w := docsProject(t)
	r := w.docs(t)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.err)
	}
	page := strings.ReplaceAll(r.out, w.repoURL, "http://charts.example")
	assertGolden(t, "testdata/docs/page.golden", page)

	prod, test, ok := strings.Cut(page, "## Environment `test`")
	if !ok || !strings.Contains(prod, "## Environment `prod`") {
		t.Fatalf("the page has no prod section before its test section:\n%s", page)
	}
	for _, want := range []string{
		"| greeter | platform | greeter | 1.2.0 | - | repository `http://charts.example` |",
		"| `db.password` | *(secret from values/web-prod.sops.yaml)* | values/web-prod.sops.yaml |",
		"| `replicas` | `3` | kaji.yaml |",
		"- `envoyproxy/envoy:v1.31.2`",
		"- `alpine:3.20`",
		"```mermaid\nflowchart LR\n  r1[\"greeter\"]\n  r2[\"web\"]\n  r3[\"jobs\"]\n  r1 --> r2\n  r2 --> r3\n```",
	} {
		if !strings.Contains(prod, want) {
			t.Errorf("prod lacks %q", want)
		}
	}
	for _, want := range []string{
		"| `db.password` | `ref+awsssm:///kaji/db/password` (reference) | kaji.yaml |",
		"Left out of this environment (enabled: false): `jobs`.",
		"- `busybox:1.36`\n- `curlimages/curl:8.10.1`\n- `nginx:1.27.1`\n",
		"```mermaid\nflowchart LR\n  r1[\"greeter\"]\n  r2[\"web\"]\n  r1 --> r2\n```",
	} {
		if !strings.Contains(test, want) {
			t.Errorf("test lacks %q", want)
		}
	}
	if strings.Contains(page, "1.3.0") || strings.Contains(test, "envoy") || strings.Contains(page, "notes") {
		t.Errorf("the page shows the unpinned 1.3.0, test's disabled sidecar or NOTES.txt")
	}

	// --env picks environments, in the order given.
	r = w.docs(t, "--env", "test")
	if r.code != cli.ExitOK || strings.Contains(r.out, "Environment `prod`") || !strings.Contains(r.out, "Environment `test`") {
		t.Errorf("--env test: exit %d, want the test section alone:\n%s%s", r.code, r.out, r.err)
	}
	r = w.docs(t, "--env", "test", "--env", "prod")
	if i, j := strings.Index(r.out, "Environment `test`"), strings.Index(r.out, "Environment `prod`"); r.code != cli.ExitOK || i < 0 || j < i {
		t.Errorf("--env test --env prod: exit %d, want test then prod:\n%s%s", r.code, r.out, r.err)
	}
	r = w.docs(t, "--env", "staging")
	if r.code != cli.ExitError || !strings.Contains(r.err, "staging") {
		t.Errorf("--env staging: exit %d, want an error naming it:\n%s", r.code, r.err)
	}
}

// --check passes on the page just written, and fails with the command to run once kaji.yaml
// changes what the page says.
func TestDocsCheck(t *testing.T) {
	w := docsProject(t)
	out := filepath.Join(filepath.Dir(w.path), "docs", "releases.md")
	if r := w.docs(t, "-o", out, "--check"); r.code != cli.ExitError || !strings.Contains(r.err, out+" does not exist: run kaji docs -f "+w.path+" -o "+out) {
		t.Errorf("--check before the page exists: exit %d, want 1 and what to run:\n%s", r.code, r.err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := w.docs(t, "-o", out); r.code != cli.ExitOK || r.out != "" {
		t.Fatalf("-o: exit %d, want 0 and nothing on stdout:\n%s%s", r.code, r.out, r.err)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(written), "<!-- Generated by kaji docs") || !strings.Contains(string(written), "## Environment `prod`") {
		t.Errorf("the page written:\n%s", written)
	}
	if r := w.docs(t, "-o", out, "--check"); r.code != cli.ExitOK || !strings.Contains(r.out, "is up to date") {
		t.Fatalf("--check on a fresh page: exit %d\n%s%s", r.code, r.out, r.err)
	}

	body, err := os.ReadFile(w.path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.path, []byte(strings.Replace(string(body), "replicas: 3", "replicas: 4", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := w.docs(t, "-o", out, "--check")
	if r.code != cli.ExitError {
		t.Fatalf("--check after kaji.yaml changed: exit %d, want 1\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{
		out + " is out of date: run kaji docs -f " + w.path + " -o " + out + ", and commit it",
		"- | `replicas` | `3` | kaji.yaml |\n+ | `replicas` | `4` | kaji.yaml |",
	} {
		if !strings.Contains(r.err, want) {
			t.Errorf("--check says:\n%s\nwant it to say %q", r.err, want)
		}
	}
	if !regexp.MustCompile(`first difference, at line \d+:`).MatchString(r.err) {
		t.Errorf("--check does not name the line:\n%s", r.err)
	}
	if after, _ := os.ReadFile(out); string(after) != string(written) {
		t.Errorf("--check changed the page")
	}

	for _, args := range [][]string{{"--check"}, {"--check", "--live", "-o", out}, {"--lock=update"}} {
		if r := w.docs(t, args...); r.code != cli.ExitError || !strings.Contains(r.err, args[0]) {
			t.Errorf("%q: exit %d, want a usage error:\n%s", args, r.code, r.err)
		}
	}
}

// --live reads Helm's storage of the real API server: the revisions that kaji apply made,
// and when.
func TestDocsLive(t *testing.T) {
	path, _, _ := quickstart(t)
	flags := []string{"-f", path, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName}
	if r := kaji(t, "", false, append([]string{"apply", "--env", "test", "--yes"}, flags...)...); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r := kaji(t, "", false, append([]string{"docs", "--env", "test"}, flags...)...)
	if r.code != 0 || strings.Contains(r.out, "Revision") {
		t.Fatalf("docs without --live: exit %d, want no revisions\n%s%s", r.code, r.out, r.err)
	}
	rev := regexp.MustCompile(`(?m)^\| (settings|api|web) \| .* \| (\d+) \(deployed\) \| (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \|$`)
	revisions := func(envName string) map[string]string {
		t.Helper()
		r := kaji(t, "", false, append([]string{"docs", "--live", "--env", envName}, flags...)...)
		if r.code != 0 {
			t.Fatalf("docs --live: exit %d\n%s%s", r.code, r.out, r.err)
		}
		got := map[string]string{}
		for _, m := range rev.FindAllStringSubmatch(r.out, -1) {
			got[m[1]] = m[2]
		}
		if len(got) != 3 {
			t.Fatalf("docs --live --env %s: revisions %v, want settings, api and web:\n%s", envName, got, r.out)
		}
		return got
	}
	if got := revisions("test"); got["settings"] != "1" || got["api"] != "1" || got["web"] != "1" {
		t.Errorf("after the first apply: revisions %v, want 1 each", got)
	}
	if r := kaji(t, "", false, append([]string{"apply", "--env", "prod", "--yes"}, flags...)...); r.code != 0 {
		t.Fatalf("apply --env prod: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := revisions("prod"); got["settings"] != "2" || got["api"] != "1" || got["web"] != "2" {
		t.Errorf("after prod's apply: revisions %v, want settings 2, api 1, web 2", got)
	}
}
