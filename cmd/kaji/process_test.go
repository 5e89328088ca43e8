package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kaji.dev/kaji/internal/testenv"
)

// binary is kaji built from this checkout, to run it as a separate process.
func binary(t *testing.T) string {
	t.Helper()
	return testenv.Kaji(t)
}

// syncBuffer is a bytes.Buffer that a process and a test may use at once.
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

// project writes kaji.yaml with one release of a local chart c whose template is tmpl, and
// the extra files (path -> content) beside it, and returns the path of kaji.yaml.
func project(t *testing.T, release, tmpl string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{
		"c/Chart.yaml":        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
		"c/values.yaml":       "greeting: hello\n",
		"c/templates/cm.yaml": tmpl,
		"kaji.yaml":           "apiVersion: kaji.dev/v1alpha1\nproject: p\nreleases:\n  - name: a\n    namespace: a\n    chart: ./c\n" + release,
	}
	for k, v := range files {
		all[k] = v
	}
	for rel, body := range all {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "kaji.yaml")
}

// cpuTicks is the CPU time, user and system, that process pid has used, in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: count fields after it.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	utime, err1 := strconv.Atoi(fields[11])
	stime, err2 := strconv.Atoi(fields[12])
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, raw)
	}
	return utime + stime
}

// waitFor waits until the process ends or limit passes, and says which.
func waitFor(cmd *exec.Cmd, limit time.Duration) (error, bool) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err, true
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		return <-done, false
	}
}
