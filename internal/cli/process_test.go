package cli_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/testenv"
)

// binary is kaji built from this checkout, to run it as a separate process.
func binary(t *testing.T) string {
	t.Helper()
	return testenv.Kaji(t)
}

// tenEnvironments writes a kaji.yaml with two releases and environments e0..e9, each giving
// the settings release another value, so that every run really upgrades.
func tenEnvironments(t *testing.T, ns string) string {
	t.Helper()
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kaji.dev/v1alpha1\nproject: %s\nreleases:\n", ns)
	fmt.Fprintf(&b, "  - {name: settings, namespace: %s, chart: %s/settings}\n", ns, charts)
	fmt.Fprintf(&b, "  - {name: api, namespace: %s, chart: %s/app, needs: [settings]}\n", ns, charts)
	b.WriteString("environments:\n")
	for i := range 10 {
		fmt.Fprintf(&b, "  e%d: {releases: {settings: {values: {logLevel: run-%d}}, api: {values: {greeting: run-%d}}}}\n", i, i, i)
	}
	path := filepath.Join(t.TempDir(), "kaji.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConcurrentAppliesTakeTurns(t *testing.T) {
	ns := env.Namespace(t)
	bin := binary(t)
	file := tenEnvironments(t, ns)
	type result struct {
		env    string
		err    error
		out    string
		waited bool
	}
	results := make(chan result, 10)
	for i := range 10 {
		go func() {
			cmd := exec.Command(bin, "apply", "--yes", "-f", file, "--env", fmt.Sprintf("e%d", i),
				"--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName,
				"--lock-namespace", ns, "--lock-timeout", "3m")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			results <- result{env: fmt.Sprintf("e%d", i), err: err, out: out.String(),
				waited: strings.Contains(out.String(), "waiting for the project lock held by")}
		}()
	}
	waited := 0
	for range 10 {
		r := <-results
		if r.err != nil {
			t.Errorf("apply --env %s: %v\n%s", r.env, r.err, r.out)
		}
		if r.waited {
			waited++
		}
	}
	if waited == 0 {
		t.Error("no run reported waiting for the lock: the runs did not overlap, or the lock did nothing")
	}

	// Every run upgraded both releases one after another: revision 10, nothing pending, and
	// the two releases carry the values of the same (last) run.
	store := storage.Init(driver.NewSecrets(env.Client.CoreV1().Secrets(ns)))
	var lastValues []string
	for _, name := range []string{"settings", "api"} {
		h, err := store.History(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 10 {
			t.Errorf("%s has %d revisions, want 10", name, len(h))
		}
		for _, ri := range h {
			r := ri.(*rspb.Release)
			if r.Info.Status.IsPending() {
				t.Errorf("%s revision %d left %s", name, r.Version, r.Info.Status)
			}
		}
		li, err := store.Last(name)
		if err != nil {
			t.Fatal(err)
		}
		last := li.(*rspb.Release)
		for _, key := range []string{"logLevel", "greeting"} {
			if v, ok := last.Config[key].(string); ok {
				lastValues = append(lastValues, v)
			}
		}
	}
	if len(lastValues) != 2 || lastValues[0] != lastValues[1] {
		t.Errorf("last values %q: settings and api were last applied by different runs", lastValues)
	}
	if h, err := lock.Inspect(t.Context(), env.Client.CoordinationV1(), lock.Options{Namespace: ns, Project: ns}); err != nil || h != nil {
		t.Errorf("lock after all runs: %+v, %v; want free", h, err)
	}
}

func TestInterruptLetsTheRunningReleaseFinishAndFreesTheLock(t *testing.T) {
	ns := env.Namespace(t)
	bin := binary(t)
	charts, _ := filepath.Abs("../../examples/quickstart/charts")
	file := filepath.Join(t.TempDir(), "kaji.yaml")
	// web waits for a Deployment that can never be ready here (no nodes), for 4 seconds.
	body := fmt.Sprintf(`apiVersion: kaji.dev/v1alpha1
project: %[1]s
releases:
  - {name: web, namespace: %[1]s, chart: %[2]s/app, wait: true, timeout: 4s}
  - {name: after, namespace: %[1]s, chart: %[2]s/settings, needs: [web]}
`, ns, charts)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "apply", "--yes", "-f", file, "--kubeconfig", env.KubeconfigPath,
		"--kube-context", env.ContextName, "--lock-namespace", ns)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "started") {
		if time.Now().After(deadline) {
			t.Fatalf("web never started:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	text := out.String()
	if err == nil || !strings.Contains(text, "interrupted") {
		t.Fatalf("interrupted apply: %v\n%s", err, text)
	}
	// web's operation ran to its end (its wait timed out: a failed revision, not a pending one),
	// and after never started.
	if !strings.Contains(text, "/web") || !strings.Contains(text, "failed") || !strings.Contains(text, "after") || !strings.Contains(text, "not started: interrupted") {
		t.Errorf("output does not show web finishing and after not starting:\n%s", text)
	}
	li, err := storage.Init(driver.NewSecrets(env.Client.CoreV1().Secrets(ns))).Last("web")
	if err != nil || li.(*rspb.Release).Info.Status.IsPending() {
		t.Errorf("web after the interrupt: %v, %v; want a finished (failed) revision", li, err)
	}
	if h, err := lock.Inspect(t.Context(), env.Client.CoordinationV1(), lock.Options{Namespace: ns, Project: ns}); err != nil || h != nil {
		t.Errorf("lock after the interrupt: %+v, %v; want it released", h, err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
