package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/testenv"
)

// hookedProject writes a project with base, and app that needs it. app's chart has a
// pre-delete hook Pod that no node can run: its uninstall waits on the hook until --timeout.
func hookedProject(t *testing.T, ns string) string {
	t.Helper()
	dir := t.TempDir()
	chart := filepath.Join(dir, "hooked")
	files := map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: hooked\nversion: 0.1.0\n",
		"templates/config.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: {{ .Release.Name }}-config}
data: {hello: world}
`,
		"templates/goodbye.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-goodbye
  annotations: {"helm.sh/hook": pre-delete}
spec:
  restartPolicy: Never
  nodeSelector: {kaji.dev/nowhere: "true"}
  containers: [{name: goodbye, image: busybox}]
`,
	}
	for name, body := range files {
		path := filepath.Join(chart, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "kaji.yaml")
	body := fmt.Sprintf(`apiVersion: kaji.dev/v1alpha1
project: %[1]s
releases:
  - {name: base, namespace: %[1]s, chart: %[2]s/settings}
  - {name: app, namespace: %[1]s, chart: %[3]s, needs: [base]}
`, ns, charts, chart)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// takeOver writes another run into the project lock of ns, as a run that took it over would.
func takeOver(t *testing.T, e *testenv.Env, ns string) {
	t.Helper()
	other, err := json.Marshal(lock.Holder{Who: "other@host", PID: 99, Version: "test", Command: "apply", Run: "feedfacefeedface"})
	if err != nil {
		t.Fatal(err)
	}
	id := string(other)
	leases := e.Client.CoordinationV1().Leases(ns)
	for {
		l, err := leases.Get(t.Context(), lock.Name(ns), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		l.Spec.HolderIdentity = &id
		_, err = leases.Update(t.Context(), l, metav1.UpdateOptions{})
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
}

// TestDestroyStopsWhenItsLockIsLost: while app's uninstall waits on its hook, another run
// takes the lock over. destroy must give app's uninstall up, start nothing more, and name app
// as what may be left pending, rather than wait out the ten minutes of its --timeout.
func TestDestroyStopsWhenItsLockIsLost(t *testing.T) {
	ns := env.Namespace(t)
	file := hookedProject(t, ns)
	if code, out := runKaji(t, env, "apply", "--yes", "-f", file, "--lock-namespace", ns, "--lock-lease", "3s"); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	store := helmStore(env, ns)

	cmd := kajiCmd(context.Background(), t, env, "destroy", "--yes", "-f", file, "--lock-namespace", ns, "--lock-lease", "3s", "--timeout", "10m")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // an error means it ended already
	done := exited(cmd)
	deadline := time.Now().Add(90 * time.Second)
	for { // app's uninstall is under way once its hook Pod exists
		_, err := env.Client.CoreV1().Pods(ns).Get(t.Context(), "app-goodbye", metav1.GetOptions{})
		if err == nil {
			break
		}
		if !apierrors.IsNotFound(err) || time.Now().After(deadline) {
			t.Fatalf("app's pre-delete hook never started: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	takeOver(t, env, ns)

	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("destroy still runs 60s after its lock was taken over:\n%s", out.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != cli.ExitError {
		t.Fatalf("destroy that lost its lock: %v, want exit %d\n%s", err, cli.ExitError, out.String())
	}
	text := out.String()
	wantContains(t, "destroy that lost its lock", text,
		"error: the project lock was lost, so this run stopped: the project lock was not renewed in time",
		"another run holds it now",
		"these releases may be left pending: "+ns+"/app\n",
		"run `kaji plan` to see them, then `kaji unlock RELEASE` for each one still pending, and `kaji destroy` again")
	for _, line := range []string{
		`/app\s+failed \(\S+\): cut off, it may be left pending: ` + regexp.QuoteMeta(ns) + `/app was still running: context canceled$`,
		`/base\s+skipped: not started: the project lock was lost$`,
	} {
		if !regexp.MustCompile("(?m)" + line).MatchString(text) {
			t.Errorf("destroy that lost its lock: no line matches %s:\n%s", line, text)
		}
	}
	if b := latest(t, store, "base"); b != (revision{1, "deployed"}) {
		t.Errorf("base after the destroy was stopped: %+v, want revision 1 deployed", b)
	}
}
