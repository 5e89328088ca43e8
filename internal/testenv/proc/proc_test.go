package proc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A process that stops on SIGTERM stops cleanly; one that ignores it is killed, which Stop
// says; one that exits by itself is reported by Exited, and its output is in its log.
func TestStartStopExited(t *testing.T) {
	sh := "/bin/sh"
	if _, err := os.Stat(sh); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()

	polite, err := Start("polite", sh, filepath.Join(dir, "polite.log"), []string{"-c", "exec sleep 60"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := polite.Exited(); err != nil {
		t.Fatalf("running process: Exited says %v", err)
	}
	if err := polite.Stop(time.Minute); err != nil {
		t.Errorf("stop a process that obeys SIGTERM: %v", err)
	}

	// The shell says when its trap is set, so that SIGTERM cannot come before it.
	stubborn, err := Start("stubborn", sh, filepath.Join(dir, "stubborn.log"), []string{"-c", `trap "" TERM; echo ready; while :; do sleep 1; done`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if data, _ := os.ReadFile(stubborn.Log); strings.Contains(string(data), "ready") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shell did not set its trap within 30 s")
		}
		time.Sleep(10 * time.Millisecond) // polling a file, not waiting for an outcome
	}
	if err := stubborn.Stop(200 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("stop a process that ignores SIGTERM: %v, want that it was killed", err)
	}

	quick, err := Start("quick", sh, filepath.Join(dir, "quick.log"), []string{"-c", "echo bye; exit 3"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-quick.done
	if err := quick.Exited(); err == nil || !strings.Contains(err.Error(), "quick exited: exit status 3") {
		t.Errorf("Exited of a process that exited: %v", err)
	}
	if data, err := os.ReadFile(quick.Log); err != nil || string(data) != "bye\n" {
		t.Errorf("log %q, %v; want bye", data, err)
	}
}
