package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/doctor"
	"kaji.dev/kaji/internal/lock"
)

// flagsProject is a kaji.yaml of releases of the quickstart charts in one fresh namespace, which
// also holds the project lock and names the project.
type flagsProject struct {
	ns, path, charts string
}

func newFlagsProject(t *testing.T, releases string) *flagsProject {
	t.Helper()
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	p := &flagsProject{ns: env.Namespace(t), path: filepath.Join(t.TempDir(), "kaji.yaml"), charts: charts}
	p.write(t, releases)
	return p
}

// write replaces the releases of the kaji.yaml; NS stands for the namespace, CHARTS for the
// quickstart charts.
func (p *flagsProject) write(t *testing.T, releases string) {
	t.Helper()
	body := "apiVersion: kaji.dev/v1alpha1\nproject: " + p.ns + "\nreleases:\n" +
		strings.NewReplacer("CHARTS", p.charts, "NS", p.ns).Replace(releases)
	if err := os.WriteFile(p.path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// kaji runs kaji with args followed by the flags that point it at the project and the cluster.
func (p *flagsProject) kaji(t *testing.T, stdin string, interactive bool, args ...string) run {
	t.Helper()
	return kaji(t, stdin, interactive, append(args, "-f", p.path, "--kubeconfig", env.KubeconfigPath,
		"--kube-context", env.ContextName, "--lock-namespace", p.ns)...)
}

// helmSecrets counts the Helm storage records (one per revision) of the project's namespace.
func (p *flagsProject) helmSecrets(t *testing.T) int {
	t.Helper()
	list, err := env.Client.CoreV1().Secrets(p.ns).List(t.Context(), metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil {
		t.Fatal(err)
	}
	return len(list.Items)
}

// applyEvent mirrors a line of kaji apply -o json; decoding rejects any other field.
type applyEvent struct {
	Time       time.Time `json:"time"`
	Event      string    `json:"event"`
	Operation  string    `json:"operation"`
	Release    string    `json:"release"`
	Namespace  string    `json:"namespace"`
	Action     string    `json:"action"`
	Chart      string    `json:"chart"`
	Version    string    `json:"version"`
	Revision   int       `json:"revision"`
	Recovered  int       `json:"recovered"`
	DurationMS int64     `json:"durationMs"`
	Error      string    `json:"error"`
	Reason     string    `json:"reason"`
	Done       *int      `json:"done"`
	Failed     *int      `json:"failed"`
	Skipped    *int      `json:"skipped"`
}

// jsonLines decodes stdout strictly as one JSON event per line, and nothing else.
func jsonLines(t *testing.T, stdout string) []applyEvent {
	t.Helper()
	if stdout == "" {
		return nil
	}
	if !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("stdout does not end with a newline:\n%s", stdout)
	}
	var events []applyEvent
	for i, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var e applyEvent
		if err := dec.Decode(&e); err != nil || !strings.HasPrefix(line, "{") {
			t.Fatalf("stdout line %d is not a JSON event (%v): %q\nstdout:\n%s", i+1, err, line, stdout)
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			t.Fatalf("stdout line %d holds more than one JSON value: %q", i+1, line)
		}
		if e.Time.IsZero() || e.Operation != "apply" {
			t.Errorf("line %d lacks its time or operation: %q", i+1, line)
		}
		events = append(events, e)
	}
	return events
}

// eventIndex returns the position of release's event of kind, or -1.
func eventIndex(events []applyEvent, release, kind string) int {
	for i, e := range events {
		if e.Release == release && e.Event == kind {
			return i
		}
	}
	return -1
}

// summaryOf checks that the last event is the summary and returns its counts.
func summaryOf(t *testing.T, events []applyEvent) (done, failed, skipped int) {
	t.Helper()
	if len(events) == 0 || events[len(events)-1].Event != "summary" {
		t.Fatalf("the events do not end with a summary: %+v", events)
	}
	s := events[len(events)-1]
	if s.Done == nil || s.Failed == nil || s.Skipped == nil {
		t.Fatalf("summary lacks its counts: %+v", s)
	}
	return *s.Done, *s.Failed, *s.Skipped
}

const chainReleases = `  - {name: settings, namespace: NS, chart: CHARTS/settings, values: {environment: test}}
  - {name: api, namespace: NS, chart: CHARTS/app, needs: [settings], values: {greeting: one}}
  - {name: web, namespace: NS, chart: CHARTS/app, needs: [api], values: {greeting: one}}
`

func TestApplyJSONEvents(t *testing.T) {
	p := newFlagsProject(t, chainReleases)
	r := p.kaji(t, "", false, "apply", "--yes", "-o", "json")
	if r.code != cli.ExitOK {
		t.Fatalf("apply -o json: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	events := jsonLines(t, r.out)
	if len(events) != 7 {
		t.Fatalf("%d events, want a started and a succeeded per release and a summary:\n%s", len(events), r.out)
	}
	charts := map[string]string{"settings": "settings", "api": "app", "web": "app"}
	for name, chart := range charts {
		started, succeeded := eventIndex(events, name, "started"), eventIndex(events, name, "succeeded")
		if started < 0 || succeeded < started {
			t.Errorf("%s: started at %d, succeeded at %d:\n%s", name, started, succeeded, r.out)
			continue
		}
		if s := events[started]; s.Namespace != p.ns || s.DurationMS != 0 || s.Action != "" {
			t.Errorf("%s started: %+v", name, s)
		}
		e := events[succeeded]
		if e.Namespace != p.ns || e.Action != "installed" || e.Chart != chart || e.Version != "0.1.0" ||
			e.Revision != 1 || e.DurationMS <= 0 || e.Error != "" || e.Time.Before(events[started].Time) {
			t.Errorf("%s succeeded: %+v", name, e)
		}
	}
	// Needs order: nothing starts before what it needs has succeeded.
	if eventIndex(events, "api", "started") < eventIndex(events, "settings", "succeeded") ||
		eventIndex(events, "web", "started") < eventIndex(events, "api", "succeeded") {
		t.Errorf("events break the needs order:\n%s", r.out)
	}
	if done, failed, skipped := summaryOf(t, events); done != 3 || failed != 0 || skipped != 0 {
		t.Errorf("summary: %d done, %d failed, %d skipped; want 3, 0, 0", done, failed, skipped)
	}

	// api now waits for a Deployment that never becomes ready here, so it fails; web, which
	// needs it, is skipped; settings is in sync and says nothing.
	p.write(t, strings.NewReplacer("greeting: one}}", "greeting: two}}",
		"needs: [settings],", "needs: [settings], wait: true, timeout: 2s,").Replace(chainReleases))
	r = p.kaji(t, "", false, "apply", "--yes", "-o", "json")
	if r.code != cli.ExitError || !strings.Contains(r.err, "1 release(s) failed, 1 skipped") {
		t.Fatalf("apply with a failing release: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, cli.ExitError, r.out, r.err)
	}
	events = jsonLines(t, r.out)
	if len(events) != 4 || eventIndex(events, "settings", "started") >= 0 || eventIndex(events, "web", "started") >= 0 {
		t.Fatalf("want api started and failed, web skipped, and a summary:\n%s", r.out)
	}
	failed := eventIndex(events, "api", "failed")
	if failed < 0 || eventIndex(events, "api", "started") > failed {
		t.Fatalf("no failed event for api after its start:\n%s", r.out)
	}
	if e := events[failed]; e.Error == "" || e.DurationMS < 2000 || e.Action != "" || e.Revision != 0 {
		t.Errorf("api failed: %+v; want an error after at least its 2s timeout", e)
	}
	skipped := eventIndex(events, "web", "skipped")
	if skipped < failed || events[skipped].Reason != "needs api, which failed" || events[skipped].Namespace != p.ns {
		t.Errorf("web: want a skipped event after api's failure, with its reason:\n%s", r.out)
	}
	if done, failed, skipped := summaryOf(t, events); done != 0 || failed != 1 || skipped != 1 {
		t.Errorf("summary: %d done, %d failed, %d skipped; want 0, 1, 1", done, failed, skipped)
	}
}

func TestApplyPlainLinesAreTimestamped(t *testing.T) {
	p := newFlagsProject(t, chainReleases)
	r := p.kaji(t, "", false, "apply", "--yes")
	if r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	stamped := regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d:[0-5]\d […✓] ` + regexp.QuoteMeta(p.ns) + `/(settings|api|web) +(started|installed (settings|app)-0\.1\.0, revision 1 \(.+\))$`)
	lines := strings.Split(strings.TrimSuffix(r.out, "\n"), "\n")
	progress := 0
	for _, l := range lines {
		if strings.HasSuffix(l, " started") || strings.Contains(l, ", revision 1 (") {
			progress++
			if !stamped.MatchString(l) {
				t.Errorf("progress line without an HH:MM:SS timestamp: %q", l)
			}
		}
	}
	if progress != 6 {
		t.Errorf("%d progress lines, want a start and an end for each of 3 releases:\n%s", progress, r.out)
	}
	if last := lines[len(lines)-1]; !regexp.MustCompile(`^apply: 3 done, 0 failed, 0 skipped in \S+$`).MatchString(last) {
		t.Errorf("the run does not end with a summary line: %q", last)
	}
}

// An interrupt while apply waits for its answer ends the run at once: nothing is changed,
// and the lock, which apply holds while it plans and asks, is released.
func TestApplyInterruptedAtTheQuestion(t *testing.T) {
	p := newFlagsProject(t, `  - {name: web, namespace: NS, chart: CHARTS/app}
`)
	stdin, _ := io.Pipe() // nobody answers
	var out, errOut syncBuffer
	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, make(chan struct{}), []string{"apply", "-f", p.path, "--kubeconfig", env.KubeconfigPath,
			"--kube-context", env.ContextName, "--lock-namespace", p.ns},
			cli.Streams{In: stdin, Out: &out, Err: &errOut, Interactive: true, Terminal: true})
	}()
	for deadline := time.Now().Add(60 * time.Second); !strings.Contains(out.String(), "Apply this plan? [y/N]"); {
		if time.Now().After(deadline) {
			t.Fatalf("apply never asked:\nstdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	interrupt()
	var code int
	select {
	case code = <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("apply still waits for its answer 15s after the interrupt:\n%s", out.String())
	}
	if code != cli.ExitError || !strings.Contains(errOut.String(), "interrupted at the question, nothing was changed") {
		t.Errorf("apply interrupted at the question: exit %d, want %d and why\nstdout:\n%s\nstderr:\n%s", code, cli.ExitError, out.String(), errOut.String())
	}
	if strings.Contains(errOut.String(), cli.InterruptedText) {
		t.Errorf("the interrupt says Helm operations finish, but none was running:\n%s", errOut.String())
	}
	if h, err := lock.Inspect(t.Context(), env.Client.CoordinationV1(), lock.Options{Namespace: p.ns, Project: p.ns}); h != nil || err != nil {
		t.Errorf("project lock after the interrupt: %+v, %v; want it released", h, err)
	}
	if n := p.helmSecrets(t); n != 0 {
		t.Errorf("%d Helm release secrets after the interrupt, want 0", n)
	}
}

func TestApplyAsksOnATerminal(t *testing.T) {
	p := newFlagsProject(t, `  - {name: web, namespace: NS, chart: CHARTS/app, values: {greeting: one}}
`)
	r := p.kaji(t, "n\n", true, "apply")
	if r.code != cli.ExitOK || !strings.Contains(r.out, "web") || !strings.Contains(r.out, "Apply this plan? [y/N]") ||
		!strings.Contains(r.out, "Nothing was changed.") {
		t.Fatalf("apply answered no: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	if n := p.helmSecrets(t); n != 0 {
		t.Errorf("%d Helm release secrets after answering no, want 0", n)
	}
	if _, err := env.Client.AppsV1().Deployments(p.ns).Get(t.Context(), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Deployment web after answering no: %v, want not found", err)
	}

	r = p.kaji(t, "y\n", true, "apply")
	if r.code != cli.ExitOK || !strings.Contains(r.out, "Apply this plan?") || !strings.Contains(r.out, "installed app-0.1.0, revision 1") {
		t.Fatalf("apply answered yes: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	if _, err := env.Client.AppsV1().Deployments(p.ns).Get(t.Context(), "web", metav1.GetOptions{}); err != nil {
		t.Errorf("Deployment web after answering yes: %v", err)
	}

	// With -o json the plan and the question go to stderr: stdout holds only events.
	p.write(t, `  - {name: web, namespace: NS, chart: CHARTS/app, values: {greeting: two}}
`)
	r = p.kaji(t, "n\n", true, "apply", "-o", "json")
	if r.code != cli.ExitOK || r.out != "" || !strings.Contains(r.err, "web") || !strings.Contains(r.err, "Apply this plan? [y/N]") ||
		!strings.Contains(r.err, "Nothing was changed.") {
		t.Fatalf("apply -o json answered no: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	if n := p.helmSecrets(t); n != 1 {
		t.Errorf("%d Helm release secrets after answering no to an upgrade, want 1", n)
	}
	r = p.kaji(t, "yes\n", true, "apply", "-o", "json")
	if r.code != cli.ExitOK || !strings.Contains(r.err, "Apply this plan?") {
		t.Fatalf("apply -o json answered yes: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	events := jsonLines(t, r.out)
	if i := eventIndex(events, "web", "succeeded"); i < 0 || events[i].Action != "upgraded" || events[i].Revision != 2 {
		t.Errorf("apply -o json answered yes: want web upgraded to revision 2:\n%s", r.out)
	}
}

func TestApplyWaitTimeoutRollsBackThroughFlags(t *testing.T) {
	p := newFlagsProject(t, `  - {name: web, namespace: NS, chart: CHARTS/app}
`)
	for _, args := range [][]string{
		{"--wait", "--timeout", "3s", "--rollback-on-failure"},
		{"--timeout", "3s", "--rollback-on-failure"}, // which implies --wait
	} {
		start := time.Now()
		r := p.kaji(t, "", false, append([]string{"apply", "--yes"}, args...)...)
		took := time.Since(start)
		if r.code != cli.ExitError {
			t.Fatalf("apply %v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, cli.ExitError, r.out, r.err)
		}
		// The default timeout is 5m: a run that ends this soon waited for 3s, not for that.
		if took < 3*time.Second || took > 90*time.Second {
			t.Errorf("apply %v took %s, want the 3s timeout and little more", args, took)
		}
		out := r.out + r.err
		if !regexp.MustCompile(`(?i)deadline exceeded|timed? ?out|not ready`).MatchString(out) {
			t.Errorf("apply %v: the failure does not mention the timeout:\n%s", args, out)
		}
		if !strings.Contains(out, "uninstall") {
			t.Errorf("apply %v: the failure does not say the install was rolled back:\n%s", args, out)
		}
		if strings.Contains(out, doctor.HintText) {
			t.Errorf("apply %v: a --wait timeout points at kaji doctor, which cannot explain it:\n%s", args, out)
		}
		if n := p.helmSecrets(t); n != 0 {
			t.Errorf("apply %v: %d Helm release secrets left, want the failed install uninstalled", args, n)
		}
		if _, err := env.Client.AppsV1().Deployments(p.ns).Get(t.Context(), "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("apply %v: Deployment web after the rollback: %v, want not found", args, err)
		}
	}
}

func TestApplyConcurrencyOneRunsOneAtATime(t *testing.T) {
	releases := `  - {name: one, namespace: NS, chart: CHARTS/app}
  - {name: two, namespace: NS, chart: CHARTS/app}
  - {name: three, namespace: NS, chart: CHARTS/app}
`
	// maxRunning is the most releases the events show running at once.
	maxRunning := func(events []applyEvent) int {
		running, most := 0, 0
		for _, e := range events {
			switch e.Event {
			case "started":
				running++
				most = max(most, running)
			case "succeeded", "failed":
				running--
			}
		}
		return most
	}
	for _, c := range []struct {
		args []string
		one  bool
	}{{[]string{"--concurrency", "1"}, true}, {nil, false}} {
		p := newFlagsProject(t, releases)
		r := p.kaji(t, "", false, append([]string{"apply", "--yes", "-o", "json"}, c.args...)...)
		if r.code != cli.ExitOK {
			t.Fatalf("apply %v: exit %d\nstdout:\n%s\nstderr:\n%s", c.args, r.code, r.out, r.err)
		}
		events := jsonLines(t, r.out)
		if done, _, _ := summaryOf(t, events); done != 3 || p.helmSecrets(t) != 3 {
			t.Errorf("apply %v: %d done, want all 3 installed:\n%s", c.args, done, r.out)
		}
		// Without --concurrency the three independent installs overlap: this shows that the
		// check above can see two releases running at once.
		if most := maxRunning(events); (most == 1) != c.one {
			t.Errorf("apply %v: up to %d releases ran at once:\n%s", c.args, most, r.out)
		}
	}
}

func TestApplyRepairsDriftThroughTheCLI(t *testing.T) {
	p := newFlagsProject(t, `  - {name: web, namespace: NS, chart: CHARTS/app}
`)
	if r := p.kaji(t, "", false, "apply", "--yes"); r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	// As kubectl scale does it.
	scale := []byte(`{"spec":{"replicas":4}}`)
	if _, err := env.Client.AppsV1().Deployments(p.ns).Patch(t.Context(), "web", types.MergePatchType, scale,
		metav1.PatchOptions{FieldManager: "kubectl"}, "scale"); err != nil {
		t.Fatal(err)
	}

	r := p.kaji(t, "", false, "plan")
	if r.code != cli.ExitOK || !regexp.MustCompile(`(?m)^web +`+regexp.QuoteMeta(p.ns)+` +app 0\.1\.0 +drifted +live objects differ from revision 1: Deployment\.apps web \(spec\.replicas\)$`).MatchString(r.out) ||
		!strings.Contains(r.out, "drifted: spec.replicas: applied 1, live 4") {
		t.Fatalf("plan of a drifted release: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	if r := p.kaji(t, "", false, "plan", "--detailed-exitcode"); r.code != cli.ExitChanges {
		t.Errorf("plan --detailed-exitcode of a drifted release: exit %d, want %d\n%s%s", r.code, cli.ExitChanges, r.out, r.err)
	}

	r = p.kaji(t, "", false, "apply", "--yes")
	if r.code != cli.ExitOK || !strings.Contains(r.out, "upgraded app-0.1.0, revision 2") {
		t.Fatalf("apply of a drifted release: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	dep, err := env.Client.AppsV1().Deployments(p.ns).Get(t.Context(), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 1 {
		t.Errorf("live replicas after the repair = %v, want the chart's 1", dep.Spec.Replicas)
	}
	if n := p.helmSecrets(t); n != 2 {
		t.Errorf("%d Helm release secrets after the repair, want revisions 1 and 2", n)
	}
	if r := p.kaji(t, "", false, "plan", "--detailed-exitcode"); r.code != cli.ExitOK {
		t.Errorf("plan --detailed-exitcode after the repair: exit %d, want 0\n%s%s", r.code, r.out, r.err)
	}
}
