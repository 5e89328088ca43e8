// Package ci_test runs the shell of the GitHub Actions example, so that the example cannot rot
// silently: a kaji binary built from this checkout plans and applies the quickstart project
// against a real API server, and a stand-in for gh records the comment it would post.
package ci_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// workflow is the part of a GitHub Actions workflow that the test reads.
type workflow struct {
	On struct {
		PullRequest *struct {
			Branches []string `yaml:"branches"`
		} `yaml:"pull_request"`
		Push *struct {
			Branches []string `yaml:"branches"`
		} `yaml:"push"`
	} `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]job    `yaml:"jobs"`
}

type job struct {
	If          string            `yaml:"if"`
	Permissions map[string]string `yaml:"permissions"`
	Env         map[string]string `yaml:"env"`
	Steps       []step            `yaml:"steps"`
}

type step struct {
	ID   string            `yaml:"id"`
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
	Run  string            `yaml:"run"`
}

func readWorkflow(t *testing.T) workflow {
	t.Helper()
	raw, err := os.ReadFile("github-actions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(raw, &w); err != nil {
		t.Fatalf("github-actions.yaml: %v", err)
	}
	return w
}

// step returns the step of job with id, failing the test when there is none.
func (w workflow) step(t *testing.T, jobName, id string) step {
	t.Helper()
	for _, s := range w.Jobs[jobName].Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("job %s has no step with id %s", jobName, id)
	return step{}
}

// ranSteps are the steps whose shell the test runs, by job; install is left out (the test
// builds kaji itself).
var ranSteps = map[string][]string{
	"plan":  {"validate", "plan", "comment", "doctor"},
	"apply": {"apply", "doctor"},
}

// The workflow is wired as its comments say: plan on pull requests and apply on pushes to
// main, each with an OIDC-assumed role before any kaji step, doctor when a step failed, no
// GitHub expression inside a shell, and no kaji step that this test does not run.
func TestWorkflowShape(t *testing.T) {
	w := readWorkflow(t)
	if w.On.PullRequest == nil || w.On.Push == nil || !slices.Contains(w.On.Push.Branches, "main") {
		t.Errorf("want triggers on pull_request and on push to main, got %+v", w.On)
	}
	for name, wantIf := range map[string]string{"plan": "pull_request", "apply": "push"} {
		j, ok := w.Jobs[name]
		if !ok {
			t.Fatalf("no job %s", name)
		}
		if !strings.Contains(j.If, "github.event_name == '"+wantIf+"'") {
			t.Errorf("job %s runs if %q, want on %s only", name, j.If, wantIf)
		}
		if j.Permissions["id-token"] != "write" {
			t.Errorf("job %s: permissions %v lack id-token: write, which OIDC needs", name, j.Permissions)
		}
		credentials := -1
		for i, s := range j.Steps {
			if strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") {
				credentials = i
				if !strings.Contains(s.With["role-to-assume"], "vars.KAJI_") || s.With["aws-region"] == "" {
					t.Errorf("job %s: configure-aws-credentials with %v, want role-to-assume and aws-region", name, s.With)
				}
			}
			if strings.Contains(s.Run, "${{") {
				t.Errorf("job %s, step %s: a GitHub expression in run:, which the test cannot run; pass it through env:", name, s.ID)
			}
			if strings.Contains(s.Run, "kaji ") && s.ID != "install" && !slices.Contains(ranSteps[name], s.ID) {
				t.Errorf("job %s, step %q runs kaji, but the test does not run it: add its id to ranSteps", name, s.ID)
			}
			if slices.Contains(ranSteps[name], s.ID) && credentials < 0 {
				t.Errorf("job %s, step %s comes before the AWS credentials", name, s.ID)
			}
		}
		if doctor := w.step(t, name, "doctor"); doctor.If != "failure()" || !strings.HasPrefix(doctor.Run, "kaji doctor") {
			t.Errorf("job %s: doctor step if %q run %q, want kaji doctor if failure()", name, doctor.If, doctor.Run)
		}
	}
	if w.Jobs["plan"].Permissions["pull-requests"] != "write" {
		t.Errorf("plan job: permissions %v lack pull-requests: write, which the comment needs", w.Jobs["plan"].Permissions)
	}
	if c := w.step(t, "plan", "comment"); !strings.Contains(c.If, "!cancelled()") {
		t.Errorf("comment step runs if %q: want it to run when the plan failed too (!cancelled())", c.If)
	}
	if !strings.Contains(w.step(t, "plan", "plan").Run, "-o markdown > plan.md") {
		t.Errorf("plan step does not write the markdown plan to plan.md")
	}
}

// expressions are the values the test gives the GitHub expressions of env: blocks.
var expressions = map[string]string{
	"github.token":                     "gh-token-for-the-test",
	"github.repository":                "acme/platform",
	"github.event.pull_request.number": "42",
}

var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// runner runs the steps of the workflow as a GitHub runner would: bash -eo pipefail, in the
// checkout, with the environment of the workflow, the job and the step.
type runner struct {
	w     workflow
	dir   string   // the checkout: kaji.yaml and the charts
	base  []string // the environment of every step
	ghLog string
}

type result struct {
	code   int
	output string
}

func (r *runner) run(t *testing.T, jobName, id string, extra ...string) result {
	t.Helper()
	s := r.w.step(t, jobName, id)
	vars := slices.Clone(r.base)
	for _, scope := range []map[string]string{r.w.Env, r.w.Jobs[jobName].Env, s.Env} {
		for k, v := range scope {
			var unknown []string
			v = expression.ReplaceAllStringFunc(v, func(m string) string {
				name := expression.FindStringSubmatch(m)[1]
				value, ok := expressions[name]
				if !ok {
					unknown = append(unknown, name)
				}
				return value
			})
			if len(unknown) > 0 {
				t.Fatalf("step %s: env %s uses %v, which the test gives no value: add it to expressions", id, k, unknown)
			}
			vars = append(vars, k+"="+v)
		}
	}
	script := filepath.Join(t.TempDir(), id+".sh")
	if err := os.WriteFile(script, []byte(s.Run), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir = r.dir
	cmd.Env = append(vars, extra...)
	out, err := cmd.CombinedOutput()
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("step %s: %v", id, err)
	}
	if testing.Verbose() {
		t.Logf("step %s/%s: exit %d\n%s", jobName, id, code, out)
	}
	return result{code: code, output: string(out)}
}

// gh returns the calls of the stand-in gh since the last call, one line each, and the body it
// was given to post, if any.
func (r *runner) gh(t *testing.T) (calls []string, body string) {
	t.Helper()
	raw, err := os.ReadFile(r.ghLog)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	posted, err := os.ReadFile(r.ghLog + ".body")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, f := range []string{r.ghLog, r.ghLog + ".body"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return strings.Split(strings.TrimSpace(string(raw)), "\n"), string(posted)
}

// fakeGH stands in for gh: it appends its arguments to $GH_LOG, copies the body it is given
// to post to $GH_LOG.body, and answers the list of a pull request's comments with
// $FAKE_GH_COMMENTS (a JSON list), through the --jq filter it was given, with jq, as gh does.
const fakeGH = `#!/usr/bin/env bash
set -eu
printf '%s\n' "$*" >> "$GH_LOG"
jq_filter= method=GET prev=
for a in "$@"; do
  case "$prev" in
    --jq) jq_filter=$a ;;
    --method) method=$a ;;
    --body-file) cp "$a" "$GH_LOG.body" ;;
  esac
  case "$a" in body=@*) cp "${a#body=@}" "$GH_LOG.body" ;; esac
  prev=$a
done
if [ "$1" = api ] && [ "$method" = GET ]; then
  printf '%s' "$FAKE_GH_COMMENTS" | jq -r "$jq_filter"
fi
`

// The steps of the workflow, run in order on the quickstart project: a pull request's plan is
// posted as a new comment, the push to main applies it, the next pull request's plan updates
// that comment, and a broken kaji.yaml still gets its plan posted and doctor run.
func TestWorkflowSteps(t *testing.T) {
	env.Require(t)
	if _, err := exec.LookPath("jq"); err != nil {
		t.Skip("jq is not installed: the stand-in for gh needs it to apply the workflow's --jq filter")
	}
	r := &runner{w: readWorkflow(t), dir: t.TempDir()}
	platform, apps := env.Namespace(t), env.Namespace(t)
	project := "ci-" + apps
	writeQuickstart(t, r.dir, project, platform, apps)

	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "kaji"), "kaji.dev/kaji/cmd/kaji")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build kaji: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(fakeGH), 0o755); err != nil {
		t.Fatal(err)
	}
	r.ghLog = filepath.Join(t.TempDir(), "gh.log")
	r.base = []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"CI=true", "GITHUB_ACTIONS=true", "GITHUB_REPOSITORY=acme/platform",
		"KUBECONFIG=" + env.KubeconfigPath,
		"GH_LOG=" + r.ghLog,
	}
	marker := "<!-- kaji plan: project " + project + ", environment prod -->"

	// A pull request: validate, plan, and a new comment.
	for _, id := range []string{"validate", "plan"} {
		if res := r.run(t, "plan", id); res.code != 0 {
			t.Fatalf("step %s: exit %d\n%s", id, res.code, res.output)
		}
	}
	planMD := readFile(t, filepath.Join(r.dir, "plan.md"))
	for _, want := range []string{marker + "\n", "| web | " + apps + " | app 0.1.0 | install | install | +3 \\~0 -0 |", "<b>settings</b>", "```diff\n"} {
		if !strings.Contains(planMD, want) {
			t.Errorf("plan.md lacks %q:\n%s", want, planMD)
		}
	}
	comments := `[{"id": 3, "body": "LGTM"}]`
	if res := r.run(t, "plan", "comment", "FAKE_GH_COMMENTS="+comments); res.code != 0 {
		t.Fatalf("comment: exit %d\n%s", res.code, res.output)
	}
	calls, body := r.gh(t)
	if len(calls) != 2 || calls[0] != "api --paginate repos/acme/platform/issues/42/comments --jq "+
		`.[] | select(.body | startswith("`+marker+`")) | .id` || calls[1] != "pr comment 42 --body-file plan.md" || body != planMD {
		t.Errorf("gh calls %q, want the list of comments then a new comment with plan.md (posted %d bytes of %d)", calls, len(body), len(planMD))
	}

	// The merge: apply.
	if res := r.run(t, "apply", "apply"); res.code != 0 {
		t.Fatalf("apply: exit %d\n%s", res.code, res.output)
	}
	dep, err := env.Client.AppsV1().Deployments(apps).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil || *dep.Spec.Replicas != 3 {
		t.Fatalf("web after apply: %v, want 3 replicas from values-prod.yaml", err)
	}

	// The next pull request: its plan updates the comment of the first.
	rewrite(t, filepath.Join(r.dir, "kaji.yaml"), "logLevel: warn", "logLevel: debug")
	if res := r.run(t, "plan", "plan"); res.code != 0 {
		t.Fatalf("second plan: exit %d\n%s", res.code, res.output)
	}
	planMD = readFile(t, filepath.Join(r.dir, "plan.md"))
	if !strings.Contains(planMD, "| settings | "+platform+" | settings 0.1.0 | upgrade | upgrade | +0 \\~1 -0 |") ||
		!regexp.MustCompile(`(?m)^-\s+LOG_LEVEL: warn\n\+\s+LOG_LEVEL: debug$`).MatchString(planMD) {
		t.Errorf("second plan.md does not show the change of LOG_LEVEL:\n%s", planMD)
	}
	comments = fmt.Sprintf(`[{"id": 3, "body": "LGTM"}, {"id": 7, "body": %q}, {"id": 9, "body": "<!-- kaji plan: project other -->"}]`, planMD)
	if res := r.run(t, "plan", "comment", "FAKE_GH_COMMENTS="+comments); res.code != 0 || !strings.Contains(res.output, "updated the plan comment 7") {
		t.Fatalf("second comment: exit %d\n%s", res.code, res.output)
	}
	calls, body = r.gh(t)
	if len(calls) != 2 || calls[1] != "api --method PATCH repos/acme/platform/issues/comments/7 -F body=@plan.md" || body != planMD {
		t.Errorf("gh calls %q, want the list of comments then an update of comment 7 with plan.md", calls)
	}

	// Values that the API server refuses: the plan fails, its comment still says why, and
	// doctor runs.
	rewrite(t, filepath.Join(r.dir, "values-prod.yaml"), "replicaCount: 3", "replicaCount: -1")
	res := r.run(t, "plan", "plan")
	planMD = readFile(t, filepath.Join(r.dir, "plan.md"))
	if res.code == 0 || !strings.Contains(planMD, "| web | "+apps+" | app 0.1.0 | upgrade | upgrade | +0 \\~0 -0 !1 |") ||
		!strings.Contains(planMD, "- **Error:** `Deployment.apps web` ("+apps+"): ") {
		t.Errorf("plan of a missing chart: exit %d, want a failure whose plan.md shows the error:\n%s\n%s", res.code, res.output, planMD)
	}
	if res := r.run(t, "plan", "comment", "FAKE_GH_COMMENTS=[]"); res.code != 0 {
		t.Fatalf("comment of a failed plan: exit %d\n%s", res.code, res.output)
	}
	if calls, body = r.gh(t); len(calls) != 2 || body != planMD {
		t.Errorf("gh calls %q: want the failed plan posted", calls)
	}
	for _, jobName := range []string{"plan", "apply"} {
		res := r.run(t, jobName, "doctor")
		if res.code != 0 || !strings.Contains(res.output, "kaji doctor: project "+project+", environment prod") || !strings.Contains(res.output, "✓ who-am-i") {
			t.Errorf("%s job's doctor: exit %d, want the report of kaji doctor:\n%s", jobName, res.code, res.output)
		}
	}
}

// writeQuickstart copies the quickstart project to dir, with its releases in the namespaces
// platform and apps of the test cluster.
func writeQuickstart(t *testing.T, dir, project, platform, apps string) {
	t.Helper()
	src := filepath.Join("..", "quickstart")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer(
		"quickstart-platform", platform,
		"quickstart-apps", apps,
		"project: quickstart", "project: "+project,
		"kubeContext: kaji-dev", "kubeContext: "+env.ContextName,
	).Replace(readFile(t, filepath.Join(src, "kaji.yaml")))
	if err := os.WriteFile(filepath.Join(dir, "kaji.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func rewrite(t *testing.T, path, from, to string) {
	t.Helper()
	raw := readFile(t, path)
	if !strings.Contains(raw, from) {
		t.Fatalf("%s has no %q", path, from)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll([]byte(raw), []byte(from), []byte(to)), 0o644); err != nil {
		t.Fatal(err)
	}
}
