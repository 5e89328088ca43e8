package cli_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/testenv"
)

// These tests drive the project lock, the second interrupt and kaji unlock through the CLI,
// with real kaji processes where a process has to hold the lock or be signalled. They reuse
// the stuck project of crash_test.go: web waits ten minutes for a Deployment that never
// becomes ready, pending-install all along.

// exited reports cmd's end, once, on the returned channel.
func exited(cmd *exec.Cmd) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }()
	return ch
}

// holderOf reads the project lock of ns; it fails the test when nobody holds it.
func holderOf(t *testing.T, e *testenv.Env, ns string) lock.Holder {
	t.Helper()
	h, err := lock.Inspect(t.Context(), e.Client.CoordinationV1(), lock.Options{Namespace: ns, Project: ns})
	if err != nil || h == nil {
		t.Fatalf("project lock of %s: %+v, %v; want a holder", ns, h, err)
	}
	return *h
}

// waitExpired waits until the holder of the project lock of ns stopped renewing it long enough
// for it to expire, and returns that holder.
func waitExpired(t *testing.T, e *testenv.Env, ns string) lock.Holder {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h := holderOf(t, e, ns)
		if h.Expired {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("the project lock never expired: %+v", h)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// renewTime is when the project lock of ns was last renewed.
func renewTime(t *testing.T, e *testenv.Env, ns string) time.Time {
	t.Helper()
	l, err := e.Client.CoordinationV1().Leases(ns).Get(t.Context(), lock.Name(ns), metav1.GetOptions{})
	if err != nil || l.Spec.RenewTime == nil {
		t.Fatalf("project lock of %s: %v; want a renewed lease", ns, err)
	}
	return l.Spec.RenewTime.Time
}

// whoAmI is user@host as kaji names this machine's runs in the lock.
func whoAmI(t *testing.T) string {
	t.Helper()
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return who + "@" + host
}

func TestSecondInterruptAbortsAndTheNextApplyRecovers(t *testing.T) {
	ns := env.Namespace(t)
	dir := t.TempDir()
	stuck := crashProject(t, dir, "kaji.yaml", ns, true)
	fixed := crashProject(t, dir, "kaji-fixed.yaml", ns, false)
	store := helmStore(env, ns)

	cmd, out := startStuckApply(t, env, ns, stuck)
	pid := cmd.Process.Pid
	done := exited(cmd)
	renewed := renewTime(t, env, ns)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// The first interrupt lets web's operation run on: the process stays and keeps renewing
	// its lock (that renewals keep a lock is the lock package's to test), and web stays
	// pending under it. Two renewals after the interrupt show it goes on.
	for range 2 {
		deadline := time.Now().Add(20 * time.Second)
		for next := renewTime(t, env, ns); next.Equal(renewed); next = renewTime(t, env, ns) {
			select {
			case err := <-done:
				t.Fatalf("apply ended after one interrupt: %v\n%s", err, out.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("the lock was not renewed after the first interrupt:\n%s", out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		renewed = renewTime(t, env, ns)
	}
	if h := holderOf(t, env, ns); h.PID != pid || h.Expired {
		t.Errorf("lock after the first interrupt: %+v; want pid %d renewing it", h, pid)
	}
	if w := latest(t, store, "web"); w != (revision{1, "pending-install"}) {
		t.Errorf("web after the first interrupt: %+v, want revision 1 pending-install", w)
	}
	// Nothing new starts: api, which needs web, is skipped at once.
	if text := out.String(); !regexp.MustCompile(`(?m)/api\s+skipped: not started: interrupted$`).MatchString(text) || strings.Contains(text, "aborted") {
		t.Errorf("output after the first interrupt: want api skipped and no abort:\n%s", text)
	}
	wantContains(t, "output after the first interrupt", out.String(), cli.InterruptedText+"\n")

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("apply still runs 30s after the second interrupt:\n%s", out.String())
	}
	if took := time.Since(sent); took > 5*time.Second {
		t.Errorf("apply took %s to end after the second interrupt, want it at once", took.Round(time.Millisecond))
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != cli.ExitAborted {
		t.Fatalf("apply after two interrupts: %v, want exit %d\n%s", err, cli.ExitAborted, out.String())
	}
	text := out.String()
	// Only web was running: settings had finished, api had not started.
	wantContains(t, "aborted apply", text,
		"aborted while Helm operations were running; these releases may be left pending:\n  "+ns+"/web\n"+
			"run `kaji apply` again: it recovers the releases this run left pending; "+
			"`kaji unlock RELEASE` remains for a release left pending by anything else (see `kaji plan`)\n"+
			"the project lock stays held until its lease runs out, within 3s; the next run waits for that, then takes it over\n")
	if strings.Contains(text, "  "+ns+"/settings\n") || strings.Contains(text, "  "+ns+"/api\n") {
		t.Errorf("the abort names releases that were not running:\n%s", text)
	}

	// The aborted run could not release its lock, which still records web's install.
	if w := latest(t, store, "web"); w != (revision{1, "pending-install"}) {
		t.Errorf("web after the abort: %+v, want revision 1 pending-install", w)
	}
	if f := leftFlights(t, env, ns); !strings.Contains(f, `"name":"web","revision":1`) {
		t.Errorf("flights the aborted run left in the lock: %s; want web's revision 1", f)
	}
	rerun := converges(t, env, ns, fixed, map[string]revision{"settings": {1, "deployed"}, "web": {2, "deployed"}, "api": {1, "deployed"}})
	wantContains(t, "apply after the abort", rerun,
		fmt.Sprintf("took over the project lock of %s (pid %d, ", whoAmI(t), pid),
		"; recovered revision 1, left pending-install by a kaji run that stopped")
}

func TestUnlockRefusesWhileTheLockIsHeldAndAsksFirst(t *testing.T) {
	ns := env.Namespace(t)
	file := crashProject(t, t.TempDir(), "kaji.yaml", ns, false)
	converges(t, env, ns, file, map[string]revision{"settings": {1, "deployed"}, "web": {1, "deployed"}, "api": {1, "deployed"}})
	leavePendingUpgrade(t, env, ns, "web")
	store := helmStore(env, ns)
	pending := revision{2, "pending-upgrade"}
	unlock := func(stdin string, interactive bool, extra ...string) run {
		args := append([]string{"unlock", "web", "-f", file, "--lock-namespace", ns,
			"--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName}, extra...)
		return kaji(t, stdin, interactive, args...)
	}

	// A live run on another machine holds the lock.
	other := lock.Holder{Who: "alice@build-7", PID: 4242, Version: "v9.9.9", Command: "apply"}
	l, err := lock.Acquire(t.Context(), env.Client.CoordinationV1(), lock.Options{Namespace: ns, Project: ns, Me: other, Duration: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	since := holderOf(t, env, ns).Since
	r := unlock("", false, "--yes", "--lock-timeout", "1s")
	holder := fmt.Sprintf("alice@build-7 (pid 4242, kaji v9.9.9, apply) since %s", since.Format(time.RFC3339))
	want := "waiting for the project lock held by " + holder + " (up to 1s)\n" +
		"error: that run may still be working on web: the project lock is held by " + holder + "; waited 1s (raise --lock-timeout, or wait for that run to end)\n"
	if r.code != cli.ExitError || !strings.Contains(r.err, want) {
		t.Errorf("unlock --yes under a live lock: exit %d, want %d and %q\nstdout:\n%s\nstderr:\n%s", r.code, cli.ExitError, want, r.out, r.err)
	}
	if w := latest(t, store, "web"); w != pending {
		t.Errorf("web after unlock refused: %+v, want %+v", w, pending)
	}
	if err := l.Release(t.Context()); err != nil {
		t.Fatal(err)
	}

	// Without a terminal and without --yes, it refuses.
	r = unlock("y\n", false)
	if r.code != cli.ExitError || !strings.Contains(r.err, "error: unlock needs confirmation and no terminal is attached: pass --yes\n") {
		t.Errorf("unlock without a terminal: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	if w := latest(t, store, "web"); w != pending {
		t.Errorf("web after unlock without a terminal: %+v, want %+v", w, pending)
	}

	// On a terminal it asks; "n" changes nothing.
	question := fmt.Sprintf("Mark the pending operation of %s/web failed? Only do this if no Helm operation is running on it. [y/N]: ", ns)
	r = unlock("n\n", true)
	if r.code != 0 || !strings.Contains(r.out, question+"Nothing was changed.\n") {
		t.Errorf("unlock answered n: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	if w := latest(t, store, "web"); w != pending {
		t.Errorf("web after answering n: %+v, want %+v", w, pending)
	}

	// "y" marks the pending revision failed.
	r = unlock("y\n", true)
	done := regexp.MustCompile(regexp.QuoteMeta(question+"unlocked "+ns+"/web: revision 2 was pending-upgrade for ") +
		`\d+m\d+s and is now failed; run kaji apply to upgrade it\n`)
	if r.code != 0 || !done.MatchString(r.out) {
		t.Errorf("unlock answered y: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
	}
	if w := latest(t, store, "web"); w != (revision{2, "failed"}) {
		t.Errorf("web after answering y: %+v, want revision 2 failed", w)
	}
}

func TestLockTimeoutNamesTheHolder(t *testing.T) {
	ns := env.Namespace(t)
	file := crashProject(t, t.TempDir(), "kaji.yaml", ns, true)
	store := helmStore(env, ns)

	first, firstOut := startStuckApply(t, env, ns, file)
	done := exited(first)
	held := holderOf(t, env, ns)
	before := revisions(t, env, ns)

	started := time.Now()
	code, out := runKaji(t, env, "apply", "--yes", "-f", file, "--lock-namespace", ns, "--lock-timeout", "2s")
	took := time.Since(started)
	if code != cli.ExitError {
		t.Fatalf("apply while another run holds the lock: exit %d, want %d\n%s", code, cli.ExitError, out)
	}
	holder := fmt.Sprintf("%s (pid %d, kaji %s, apply) since %s", whoAmI(t), first.Process.Pid, held.Version, held.Since.Format(time.RFC3339))
	wantContains(t, "apply that timed out on the lock", out,
		"waiting for the project lock held by "+holder+" (up to 2s)\n",
		"error: the project lock is held by "+holder+"; waited 2s (raise --lock-timeout, or wait for that run to end)\n")
	if took < 2*time.Second || took > 30*time.Second {
		t.Errorf("apply with --lock-timeout 2s gave up after %s", took.Round(time.Millisecond))
	}
	if strings.Contains(out, "kaji apply: project") {
		t.Errorf("apply planned without the lock:\n%s", out)
	}

	// The first run goes on as before: same process, same lock, web still being installed.
	select {
	case err := <-done:
		t.Fatalf("the first run ended while the second waited: %v\n%s", err, firstOut.String())
	default:
	}
	if h := holderOf(t, env, ns); h.PID != held.PID || !h.Since.Equal(held.Since) || h.Expired {
		t.Errorf("lock after the second run gave up: %+v; want the first run's %+v, live", h, held)
	}
	if n := leaseTransitions(t, env, ns); n != 0 {
		t.Errorf("lease transitions %d, want 0: nobody took the lock over", n)
	}
	if w := latest(t, store, "web"); w != (revision{1, "pending-install"}) {
		t.Errorf("web after the second run gave up: %+v, want revision 1 pending-install", w)
	}
	if got := revisions(t, env, ns); got != before {
		t.Errorf("%d release revisions after the second run, %d before", got, before)
	}
	if text := firstOut.String(); strings.Contains(text, "project lock") || strings.Contains(text, "error:") {
		t.Errorf("the first run reported trouble:\n%s", text)
	}
}

// TestKill9ThenPlanAndUnlockRecover is the manual way back from a killed apply: plan shows
// what it left, unlock gives the pending release up once the lock expired, apply converges.
func TestKill9ThenPlanAndUnlockRecover(t *testing.T) {
	ns := env.Namespace(t)
	dir := t.TempDir()
	stuck := crashProject(t, dir, "kaji.yaml", ns, true)
	fixed := crashProject(t, dir, "kaji-fixed.yaml", ns, false)
	store := helmStore(env, ns)

	pid := kill9StuckApply(t, ns, stuck)
	dead := waitExpired(t, env, ns)
	if dead.PID != pid {
		t.Fatalf("expired lock of pid %d, want the killed run's %d", dead.PID, pid)
	}

	code, out := runKaji(t, env, "plan", "-f", stuck, "--lock-namespace", ns)
	pendingRow := regexp.MustCompile(`(?m)^web\s+` + regexp.QuoteMeta(ns) + `\s+app 0\.1\.0\s+pending\s+` +
		regexp.QuoteMeta("revision 1 is pending-install: an operation is running or was interrupted; if nothing is working on it any more, `kaji unlock web` gives it up") +
		` \(for \d+s\)$`)
	if code != 0 || !pendingRow.MatchString(out) {
		t.Errorf("plan after kill -9: exit %d, want web pending with its age:\n%s", code, out)
	}
	wantContains(t, "plan after kill -9", out,
		"lock: held by "+dead.String()+" (renewed ",
		"s ago by its clock, longer than its lease: that run looks stopped without releasing it; the next apply takes it over once it sees it unrenewed for a whole lease)\n",
		fmt.Sprintf("(pid %d, ", pid), "1 pending")

	// unlock takes the dead run's lock over, once it has seen it unrenewed for its 3s lease,
	// and holds it while it unlocks web.
	code, out = runKaji(t, env, "unlock", "web", "--yes", "-f", stuck, "--lock-namespace", ns)
	if code != 0 || !regexp.MustCompile(regexp.QuoteMeta("unlocked "+ns+"/web: revision 1 was pending-install for ")+`\d+s and is now failed`).MatchString(out) {
		t.Fatalf("unlock web after the lock expired: exit %d\n%s", code, out)
	}
	wantContains(t, "unlock after kill -9", out, "took over the project lock of "+dead.Who+" (pid "+strconv.Itoa(pid)+", ")
	if f := leftFlights(t, env, ns); strings.Contains(f, `"name":"web"`) {
		t.Errorf("flights left in the lock after unlock: %s; want web's given up", f)
	}
	if w := latest(t, store, "web"); w != (revision{1, "failed"}) {
		t.Errorf("web after unlock: %+v, want revision 1 failed", w)
	}

	applied := converges(t, env, ns, fixed, map[string]revision{"settings": {1, "deployed"}, "web": {2, "deployed"}, "api": {1, "deployed"}})
	if strings.Contains(applied, "took over") || strings.Contains(applied, "recovered") {
		t.Errorf("apply took a lock over or recovered web after unlock had:\n%s", applied)
	}
	if h, err := store.History("web"); err != nil || len(h) != 2 {
		t.Errorf("web history: %d revisions, %v; want the unlocked install and the upgrade", len(h), err)
	}
	if n := revisions(t, env, ns); n != 4 {
		t.Errorf("%d release revisions, want 4: settings 1, web 1 and 2, api 1", n)
	}
}
