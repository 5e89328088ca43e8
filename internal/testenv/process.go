package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// A process is a component that testenv runs itself, beside etcd and kube-apiserver, which
// envtest runs. Its output goes to <name>.log in the Env's directory.
type process struct {
	name string
	log  string // path of its log
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited
	err  error         // how it exited; read only after done is closed
	// reported is set once an error has said that the process exited, so that Stop does
	// not say it again.
	reported bool
}

// startProcess starts the program at path with args and extra environment variables (on
// top of the test's own), and records it for Stop.
func (e *Env) startProcess(name, path string, args, env []string) (*process, error) {
	logFile, err := e.openLog(name + ".log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, log: logFile.Name(), cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	e.procs = append(e.procs, p)
	return p, nil
}

// exited returns an error naming the process if it is no longer running, and nil while it runs.
func (p *process) exited() error {
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s exited: %w", p.name, p.err)
		}
		return fmt.Errorf("%s exited", p.name)
	default:
		return nil
	}
}

// stop asks the process to shut down (SIGTERM) and kills it when it has not after timeout.
// A process that had already exited by itself is reported as an error, with the end of its
// log: a component that died under a test may be what made the test fail.
func (p *process) stop(timeout time.Duration) error {
	if err := p.exited(); err != nil {
		if p.reported {
			return nil
		}
		return fmt.Errorf("%w before Stop%s", err, logTail(err, map[string]string{p.name: p.log}))
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil // how it exits once told to stop does not matter
	case <-time.After(timeout):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-p.done
	return fmt.Errorf("stop %s: still running %s after SIGTERM, killed", p.name, timeout)
}

// stopProcesses stops the processes in the reverse order of their start.
func (e *Env) stopProcesses() error {
	var errs []error
	for i := len(e.procs) - 1; i >= 0; i-- {
		if err := e.procs[i].stop(stopTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	e.procs = nil
	return errors.Join(errs...)
}

// processLogs maps each process's name to its log, for logTail.
func (e *Env) processLogs() map[string]string {
	logs := make(map[string]string, len(e.procs))
	for _, p := range e.procs {
		logs[p.name] = p.log
	}
	return logs
}
