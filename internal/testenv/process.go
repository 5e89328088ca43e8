package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"kaji.dev/kaji/internal/testenv/proc"
)

// A process is a component that testenv runs itself, beside etcd and kube-apiserver, which
// envtest runs. Its output goes to <name>.log in the Env's directory.
type process struct {
	*proc.Process
	// reported is set once an error has said that the process exited, so that Stop does
	// not say it again.
	reported bool
}

// startProcess starts the program at path with args and extra environment variables (on
// top of the test's own), and records it for Stop.
func (e *Env) startProcess(name, path string, args, env []string) (*process, error) {
	p, err := proc.Start(name, path, filepath.Join(e.dir, name+".log"), args, append(os.Environ(), env...))
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, &process{Process: p})
	return e.procs[len(e.procs)-1], nil
}

// stop asks the process to shut down (SIGTERM) and kills it when it has not after timeout.
// A process that had already exited by itself is reported as an error, with the end of its
// log: a component that died under a test may be what made the test fail.
func (p *process) stop(timeout time.Duration) error {
	if err := p.Exited(); err != nil {
		if p.reported {
			return nil
		}
		return fmt.Errorf("%w before Stop%s", err, logTail(err, map[string]string{p.Name: p.Log}))
	}
	return p.Stop(timeout)
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
		logs[p.Name] = p.Log
	}
	return logs
}
