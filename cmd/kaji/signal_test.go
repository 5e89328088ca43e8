package main

import (
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"kaji.dev/kaji/internal/cli"
)

// slowTemplate renders for minutes: a hundred million empty loop turns.
const slowTemplate = "{{- range until 10000 }}{{ range until 10000 }}{{ end }}{{ end }}\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n"

// validate stops within seconds of SIGTERM or SIGINT while it renders a chart that would
// render for minutes, says it was interrupted and exits with the interrupt code. It is told
// once it has used a second of CPU: then it is past loading and into rendering.
func TestValidateStopsOnSignal(t *testing.T) {
	bin := binary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			file := project(t, "", slowTemplate, nil)
			cmd := exec.Command(bin, "validate", "-f", file)
			var out syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			busy := time.Now().Add(60 * time.Second)
			for cpuTicks(t, cmd.Process.Pid) < 100 {
				if time.Now().After(busy) {
					_ = cmd.Process.Kill()
					t.Fatalf("validate used under a second of CPU in 60 s:\n%s", out.String())
				}
				time.Sleep(20 * time.Millisecond) // polling the process's state, not waiting for it
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err, ended := waitFor(cmd, 30*time.Second)
			took := time.Since(start)
			if !ended {
				t.Fatalf("validate still ran 30 s after %s:\n%s", sig, out.String())
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != cli.ExitAborted || !strings.Contains(out.String(), cli.StoppedText) {
				t.Fatalf("validate after %s: %v; want exit %d saying %q:\n%s", sig, err, cli.ExitAborted, cli.StoppedText, out.String())
			}
			t.Logf("stopped %s after %s", took.Round(time.Millisecond), sig)
			if took > 5*time.Second {
				t.Errorf("validate took %s to stop after %s; want under 5 s", took, sig)
			}
		})
	}
}
