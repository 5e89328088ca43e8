package cli_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/testenv"
)

// TestUnlockRecoversAPendingReleaseKajiDidNotRecord leaves web pending the way an interrupted
// helm upgrade would, with no kaji run behind it: apply cannot tell that nothing works on it
// any more, so it refuses, and `kaji unlock` is what recovers it.
func TestUnlockRecoversAPendingReleaseKajiDidNotRecord(t *testing.T) {
	ns := env.Namespace(t)
	file := crashProject(t, t.TempDir(), "kaji.yaml", ns, false)
	converges(t, env, ns, file, map[string]revision{"settings": {1, "deployed"}, "web": {1, "deployed"}, "api": {1, "deployed"}})
	leavePendingUpgrade(t, env, ns, "web")
	before := revisions(t, env, ns)

	code, out := runKaji(t, env, "apply", "--yes", "-f", file, "--lock-namespace", ns, "--lock-lease", "3s")
	if code != 1 {
		t.Fatalf("apply over a pending release: exit %d, want 1\n%s", code, out)
	}
	wantContains(t, "apply over a pending release", out,
		"revision 2 is pending-upgrade", "`kaji unlock web` gives it up",
		"apply cannot change a release left pending by an operation that did not finish (web)",
		"running it again will not help", "run `kaji unlock web`, then `kaji apply` again")
	if strings.Contains(out, "recovered") {
		t.Errorf("apply recovered a release no kaji run left pending:\n%s", out)
	}
	if got := revisions(t, env, ns); got != before {
		t.Errorf("%d release revisions after apply, %d before: it changed something", got, before)
	}

	code, out = runKaji(t, env, "plan", "-f", file, "--lock-namespace", ns)
	pendingRow := regexp.MustCompile(`(?m)^web\s+\S+\s+app 0\.1\.0\s+pending\s+revision 2 is pending-upgrade: .*kaji unlock web.* \(for \d+[smhd]\)$`)
	if code != 0 || !pendingRow.MatchString(out) {
		t.Errorf("plan: exit %d, want web pending with its age:\n%s", code, out)
	}

	code, out = runKaji(t, env, "unlock", "web", "--yes", "-f", file, "--lock-namespace", ns)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("unlocked %s/web: revision 2 was pending-upgrade for ", ns)) {
		t.Fatalf("unlock web: exit %d\n%s", code, out)
	}
	if w := latest(t, helmStore(env, ns), "web"); w != (revision{2, "failed"}) {
		t.Errorf("web after unlock: %+v, want revision 2 failed", w)
	}
	converges(t, env, ns, file, map[string]revision{"settings": {1, "deployed"}, "web": {3, "deployed"}, "api": {1, "deployed"}})
}

// leavePendingUpgrade writes the next revision of name pending-upgrade, as Helm's storage
// keeps an upgrade that was interrupted a minute ago.
func leavePendingUpgrade(t *testing.T, e *testenv.Env, ns, name string) {
	t.Helper()
	store := helmStore(e, ns)
	ri, err := store.Last(name)
	if err != nil {
		t.Fatal(err)
	}
	pending := *ri.(*rspb.Release)
	info := *pending.Info
	info.Status, info.Description = common.StatusPendingUpgrade, "Preparing upgrade"
	info.LastDeployed = time.Now().Add(-time.Minute)
	pending.Info = &info
	pending.Version++
	if err := store.Create(&pending); err != nil {
		t.Fatal(err)
	}
}

// TestUnlockHoldsTheLockWhileItAsks: between unlock's look at the release and its write, a
// person may take their time; no apply may start meanwhile.
func TestUnlockHoldsTheLockWhileItAsks(t *testing.T) {
	ns := env.Namespace(t)
	file := crashProject(t, t.TempDir(), "kaji.yaml", ns, false)
	converges(t, env, ns, file, map[string]revision{"settings": {1, "deployed"}, "web": {1, "deployed"}, "api": {1, "deployed"}})
	leavePendingUpgrade(t, env, ns, "web")
	before := revisions(t, env, ns)

	in, answer := io.Pipe()
	defer answer.Close()
	out, errOut := &syncBuffer{}, &syncBuffer{}
	code := make(chan int, 1)
	go func() {
		code <- cli.Main(context.Background(), []string{"unlock", "web", "-f", file, "--lock-namespace", ns,
			"--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName},
			cli.Streams{In: in, Out: out, Err: errOut, Interactive: true, Terminal: true})
	}()
	question := fmt.Sprintf("Mark the pending operation of %s/web failed? Only do this if no Helm operation is running on it. [y/N]: ", ns)
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), question) {
		select {
		case c := <-code:
			t.Fatalf("unlock ended with %d before it asked:\nstdout:\n%s\nstderr:\n%s", c, out.String(), errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("unlock never asked:\nstdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if h := holderOf(t, env, ns); h.Command != "unlock" || h.PID != os.Getpid() || h.Expired {
		t.Errorf("lock while unlock asks: %+v; want this unlock's", h)
	}
	// An apply started meanwhile finds the lock held by unlock, and gives up.
	c, applied := runKaji(t, env, "apply", "--yes", "-f", file, "--lock-namespace", ns, "--lock-timeout", "1s")
	if c != 1 || !strings.Contains(applied, fmt.Sprintf("error: the project lock is held by %s (pid %d, kaji ", whoAmI(t), os.Getpid())) ||
		!strings.Contains(applied, ", unlock) since ") {
		t.Errorf("apply while unlock asks: exit %d, want 1 and the lock held by unlock\n%s", c, applied)
	}
	if got := revisions(t, env, ns); got != before {
		t.Errorf("%d release revisions after the apply, %d before: it changed something", got, before)
	}

	if _, err := io.WriteString(answer, "y\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case c = <-code:
	case <-time.After(60 * time.Second):
		t.Fatalf("unlock did not end after the answer:\n%s", out.String())
	}
	if c != 0 || !strings.Contains(out.String(), "unlocked "+ns+"/web: revision 2 was pending-upgrade for ") {
		t.Errorf("unlock answered y: exit %d\nstdout:\n%s\nstderr:\n%s", c, out.String(), errOut.String())
	}
	if w := latest(t, helmStore(env, ns), "web"); w != (revision{2, "failed"}) {
		t.Errorf("web after unlock: %+v, want revision 2 failed", w)
	}
	if h, err := lock.Inspect(t.Context(), env.Client.CoordinationV1(), lock.Options{Namespace: ns, Project: ns}); err != nil || h != nil {
		t.Errorf("lock after unlock: %+v, %v; want it released", h, err)
	}
}
