package cli_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/testenv"
)

// These tests run kaji as real processes and take away what it runs on: the process itself
// (kill -9) and the API server. Each run holds the project lock with a 3s lease, so that
// what a dead run leaves behind expires quickly.

// crashProject writes name in dir: project ns with settings, then web, then api, each needing
// the one before. With stuck, web waits up to ten minutes for its Deployment, which never
// becomes ready on a control plane without nodes: its release stays pending-install all along.
func crashProject(t *testing.T, dir, name, ns string, stuck bool) string {
	t.Helper()
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	wait := ""
	if stuck {
		wait = ", wait: true, timeout: 10m"
	}
	body := fmt.Sprintf(`apiVersion: kaji.dev/v1alpha1
project: %[1]s
releases:
  - {name: settings, namespace: %[1]s, chart: %[2]s/settings}
  - {name: web, namespace: %[1]s, chart: %[2]s/app, needs: [settings]%[3]s}
  - {name: api, namespace: %[1]s, chart: %[2]s/app, needs: [web]}
`, ns, charts, wait)
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// kajiCmd is kaji as a process against e, with args after the connection flags.
func kajiCmd(ctx context.Context, t *testing.T, e *testenv.Env, args ...string) *exec.Cmd {
	t.Helper()
	all := append([]string{"--kubeconfig", e.KubeconfigPath, "--kube-context", e.ContextName}, args...)
	return exec.CommandContext(ctx, binary(t), all...)
}

// runKaji runs kaji to its end, within two minutes, and returns its exit code and output.
func runKaji(t *testing.T, e *testenv.Env, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := kajiCmd(ctx, t, e, args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit) && ctx.Err() == nil:
		return exit.ExitCode(), string(out)
	}
	t.Fatalf("kaji %s: %v\n%s", strings.Join(args, " "), err, out)
	return 0, ""
}

// kill9StuckApply starts an apply of the stuck project file in ns, kills it with SIGKILL while
// web is pending, and returns its pid.
func kill9StuckApply(t *testing.T, ns, file string) int {
	t.Helper()
	cmd, _ := startStuckApply(t, env, ns, file)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("kill -9: %v", err)
	}
	return cmd.Process.Pid
}

// startStuckApply starts an apply of file and returns once web's install is under way and the
// process holds the project lock.
func startStuckApply(t *testing.T, e *testenv.Env, ns, file string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := kajiCmd(context.Background(), t, e, "apply", "--yes", "-f", file, "--lock-namespace", ns, "--lock-lease", "3s")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // an error means it ended already
	store := helmStore(e, ns)
	deadline := time.Now().Add(90 * time.Second)
	for {
		h, err := lock.Inspect(t.Context(), e.Client.CoordinationV1(), lock.Options{Namespace: ns, Project: ns})
		if err == nil && h != nil && h.PID == cmd.Process.Pid && latest(t, store, "web").isPending() {
			return cmd, out
		}
		if time.Now().After(deadline) {
			t.Fatalf("web never became pending under the lock of pid %d (lock %+v, %v):\n%s", cmd.Process.Pid, h, err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func helmStore(e *testenv.Env, ns string) *storage.Storage {
	return storage.Init(driver.NewSecrets(e.Client.CoreV1().Secrets(ns)))
}

// revision is a release's latest revision in Helm's storage; the zero value when there is none.
type revision struct {
	number int
	status string
}

func (r revision) isPending() bool { return strings.HasPrefix(r.status, "pending-") }

func latest(t *testing.T, store *storage.Storage, name string) revision {
	t.Helper()
	ri, err := store.Last(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return revision{}
	}
	if err != nil {
		t.Fatalf("read release %s: %v", name, err)
	}
	r := ri.(*rspb.Release)
	return revision{number: r.Version, status: r.Info.Status.String()}
}

// revisions counts the stored revisions of every release in ns.
func revisions(t *testing.T, e *testenv.Env, ns string) int {
	t.Helper()
	s, err := e.Client.CoreV1().Secrets(ns).List(t.Context(), metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil {
		t.Fatal(err)
	}
	return len(s.Items)
}

// leaseTransitions is how many times the project lock was taken over from a holder.
func leaseTransitions(t *testing.T, e *testenv.Env, ns string) int32 {
	t.Helper()
	l, err := e.Client.CoordinationV1().Leases(ns).Get(t.Context(), lock.Name(ns), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Spec.LeaseTransitions == nil {
		return 0
	}
	return *l.Spec.LeaseTransitions
}

func wantContains(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func TestKill9MidApplyIsRecoverable(t *testing.T) {
	ns := env.Namespace(t)
	dir := t.TempDir()
	stuck := crashProject(t, dir, "kaji.yaml", ns, true)
	fixed := crashProject(t, dir, "kaji-fixed.yaml", ns, false)
	store := helmStore(env, ns)

	pid := kill9StuckApply(t, ns, stuck)
	if w := latest(t, store, "web"); w != (revision{1, "pending-install"}) {
		t.Errorf("web after kill -9: %+v, want revision 1 pending-install", w)
	}
	if f := leftFlights(t, env, ns); !strings.Contains(f, `"name":"web","revision":1`) {
		t.Errorf("flights the killed run left in the lock: %s; want web's revision 1", f)
	}

	// The next run waits for the dead run's lease to expire and takes the lock over. The dead
	// run recorded web's install (revision 1) in the lease: web's pending revision is its own
	// unfinished operation, which this run marks failed and upgrades, and it converges.
	out := converges(t, env, ns, fixed, map[string]revision{"settings": {1, "deployed"}, "web": {2, "deployed"}, "api": {1, "deployed"}})
	wantContains(t, "apply after kill -9", out,
		"left pending-install by a kaji run that stopped (revision 1): apply marks it failed first, as `kaji unlock` would, then upgrades it",
		"; recovered revision 1, left pending-install by a kaji run that stopped",
		"took over the project lock of ", fmt.Sprintf("(pid %d, ", pid),
		"which this run saw unrenewed for a whole lease (last renewed at ", "releases it was changing may be left pending")
	if strings.Contains(out, "kaji unlock web") {
		t.Errorf("apply after kill -9 still asks for kaji unlock:\n%s", out)
	}
	if n := leaseTransitions(t, env, ns); n != 1 {
		t.Errorf("lease transitions %d, want 1: the next run took the dead run's lock over", n)
	}
	if f := leftFlights(t, env, ns); len(f) != 0 {
		t.Errorf("flights left in the lock after converging: %s", f)
	}
	if h, err := store.History("web"); err != nil || len(h) != 2 {
		t.Errorf("web history: %d revisions, %v; want the recovered install and the upgrade", len(h), err)
	}
}

// leftFlights is what the project lock says may be left pending.
func leftFlights(t *testing.T, e *testenv.Env, ns string) string {
	t.Helper()
	l, err := e.Client.CoordinationV1().Leases(ns).Get(t.Context(), lock.Name(ns), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l.Annotations[lock.FlightsAnnotation]
}

// converges applies file, expects every release at want and nothing pending, and then a
// second apply that changes nothing. It returns the output of the first apply.
func converges(t *testing.T, e *testenv.Env, ns, file string, want map[string]revision) string {
	t.Helper()
	args := []string{"apply", "--yes", "-f", file, "--lock-namespace", ns, "--lock-lease", "3s"}
	code, out := runKaji(t, e, args...)
	if code != 0 {
		t.Fatalf("apply to converge: exit %d\n%s", code, out)
	}
	store := helmStore(e, ns)
	for name, w := range want {
		if got := latest(t, store, name); got != w {
			t.Errorf("%s after the converging apply: %+v, want %+v", name, got, w)
		}
		h, err := store.History(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, ri := range h {
			if r := ri.(*rspb.Release); r.Info.Status.IsPending() {
				t.Errorf("%s revision %d is still %s", name, r.Version, r.Info.Status)
			}
		}
	}
	if h, err := lock.Inspect(t.Context(), e.Client.CoordinationV1(), lock.Options{Namespace: ns, Project: ns}); err != nil || h != nil {
		t.Errorf("lock after the converging apply: %+v, %v; want it released", h, err)
	}
	if code, again := runKaji(t, e, args...); code != 0 || !strings.Contains(again, "Nothing to do: every release is in sync.") {
		t.Errorf("apply after converging: exit %d, want nothing to do\n%s", code, again)
	}
	return out
}

// TestAPIServerStoppedMidApply stops the API server of its own control plane while web's
// install waits, then starts it again.
func TestAPIServerStoppedMidApply(t *testing.T) {
	env.Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	e, err := testenv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Error(err)
		}
	})
	ns := e.Namespace(t)
	dir := t.TempDir()
	stuck := crashProject(t, dir, "kaji.yaml", ns, true)
	fixed := crashProject(t, dir, "kaji-fixed.yaml", ns, false)
	store := helmStore(e, ns)

	cmd, out := startStuckApply(t, e, ns, stuck)
	stopped := time.Now()
	if err := e.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-time.After(90 * time.Second):
		t.Fatalf("kaji still runs 90s after the API server stopped:\n%s", out.String())
	}
	// The lock cannot be renewed: after two failed renewals of its 3s lease the run stops,
	// and cuts web's wait off rather than sitting in it for ten minutes.
	if took := time.Since(stopped); took > 30*time.Second {
		t.Errorf("kaji ran on for %s after the API server stopped", took.Round(time.Second))
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("apply with the API server stopped: %v, want exit 1\n%s", err, out.String())
	}
	text := out.String()
	host := strings.TrimSuffix(e.Config.Host, "/")
	wantContains(t, "apply with the API server stopped", text,
		"error: the API server at "+host+" could not be reached (dial tcp ", ": connect: connection refused)",
		"; the lock expires by itself within 3s",
		"these releases may be left pending: "+ns+"/web\n",
		"once the API server answers again, run `kaji apply` again: it recovers the releases this run left pending; `kaji unlock RELEASE` remains for a release left pending by anything else (see `kaji plan`)")
	// Which comes first is up to Helm's wait: it either retries until the lock is lost and kaji
	// cuts it off, or gives up on its own when its watch breaks (status Unknown), and then the
	// run ends and cannot release the lock. When both happen at once, web is cut off with the
	// wait's own error rather than the cancellation.
	lines := []string{
		"^the project lock could not be renewed: dial tcp .*: connect: connection refused$",
		`/web\s+failed \(\S+\): cut off, it may be left pending: install \S+/web: (context canceled|.*status: Unknown.*)$`,
		`/api\s+skipped: not started: the project lock was lost$`,
		`: the project lock could not be renewed, so this run stopped; `,
	}
	if !strings.Contains(text, "the project lock could not be renewed") {
		lines = []string{
			`/web\s+failed \(\S+\): install \S+/web: `,
			`/api\s+skipped: needs web, which failed$`,
			`\) when this run ended, to release the project lock; `,
		}
	}
	for _, line := range lines {
		if !regexp.MustCompile("(?m)" + line).MatchString(text) {
			t.Errorf("apply with the API server stopped: no line matches %s:\n%s", line, text)
		}
	}
	if regexp.MustCompile(`/api\s+started`).MatchString(text) {
		t.Errorf("api started after the API server stopped:\n%s", text)
	}

	if err := e.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	// Helm could not record that web's install ended: it stays pending. The lease still names
	// the stopped run, which could not release it; it has expired by now.
	if w := latest(t, store, "web"); w != (revision{1, "pending-install"}) {
		t.Errorf("web after the restart: %+v, want revision 1 pending-install", w)
	}
	if h, err := lock.Inspect(ctx, e.Client.CoordinationV1(), lock.Options{Namespace: ns, Project: ns}); err != nil || h == nil || h.PID != cmd.Process.Pid {
		t.Errorf("lock after the restart: %+v, %v; want the stopped run's", h, err)
	}

	// A plain re-run takes the expired lock over and converges: the stopped run recorded web's
	// install in the lease before it started, and could not say how it ended.
	if f := leftFlights(t, e, ns); !strings.Contains(f, `"name":"web","revision":1`) {
		t.Errorf("flights the stopped run left in the lock: %s; want web's revision 1", f)
	}
	rerun := converges(t, e, ns, fixed, map[string]revision{"settings": {1, "deployed"}, "web": {2, "deployed"}, "api": {1, "deployed"}})
	wantContains(t, "re-run after the restart", rerun,
		"left pending-install by a kaji run that stopped (revision 1)",
		"; recovered revision 1, left pending-install by a kaji run that stopped",
		"took over the project lock of ", fmt.Sprintf("(pid %d, ", cmd.Process.Pid))
	if n := leaseTransitions(t, e, ns); n != 1 {
		t.Errorf("lease transitions %d after the re-run, want 1: it took the stopped run's lock over", n)
	}
	if f := leftFlights(t, e, ns); len(f) != 0 {
		t.Errorf("flights left in the lock after converging: %s", f)
	}
}
