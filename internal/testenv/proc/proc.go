// Package proc runs the programs of the test harnesses (testenv's controllers, fluxenv's
// Flux controllers) in the background: each with its output in a log file of its own,
// stopped with SIGTERM and then SIGKILL, and on Linux killed by the kernel when the test
// binary that started it dies without cleaning up. Imported by test harnesses only.
package proc

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// A Process is one program running in the background.
type Process struct {
	// Name names it in errors.
	Name string
	// Log is the path of the file that holds its output.
	Log  string
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited
	err  error         // how it exited; read only after done is closed
}

// Start runs the program at path with args and the environment env (the test's own when
// nil), its output written to a new file at logPath.
func Start(name, path, logPath string, args, env []string) (*Process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create %s log: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// Exited returns an error naming the process if it is no longer running, and nil while it
// runs.
func (p *Process) Exited() error {
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s exited: %w", p.Name, p.err)
		}
		return fmt.Errorf("%s exited", p.Name)
	default:
		return nil
	}
}

// Stop asks the running process to shut down (SIGTERM) and kills it when it has not after
// timeout, which is an error. How it exits once told to stop does not matter.
func (p *Process) Stop(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", p.Name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", p.Name, err)
	}
	<-p.done
	return fmt.Errorf("stop %s: still running %s after SIGTERM, killed", p.Name, timeout)
}
