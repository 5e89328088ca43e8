package fluxenv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// stopTimeout bounds a controller's shutdown after SIGTERM.
const stopTimeout = 30 * time.Second

// A process is one controller, its output in its own log file.
type process struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited
	err  error         // how it exited; read only after done is closed
}

// startProcess runs path with args, and the test's environment less proxies and CA settings,
// plus env.
func startProcess(name, path, logPath string, args, env []string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create %s log: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(baseEnv(), env...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// baseEnv is the test's environment without what would send the controllers elsewhere than
// the test's servers: proxies, and CAs other than the one Start is given.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch up := strings.ToUpper(k); {
		case strings.HasSuffix(up, "_PROXY"), up == "SSL_CERT_FILE", up == "SSL_CERT_DIR", up == "KUBECONFIG":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// exited returns an error naming the process if it is no longer running, and nil while it runs.
func (p *process) exited() error {
	select {
	case <-p.done:
		if p.err != nil {
			return fmt.Errorf("%s exited: %w%s", p.name, p.err, p.tail())
		}
		return fmt.Errorf("%s exited%s", p.name, p.tail())
	default:
		return nil
	}
}

// stop asks the process to shut down and kills it when it has not after stopTimeout.
func (p *process) stop() error {
	if err := p.exited(); err != nil {
		return fmt.Errorf("before the test ended: %w", err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", p.name, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-p.done
	return fmt.Errorf("stop %s: still running %s after SIGTERM, killed", p.name, stopTimeout)
}

// tail is the end of the process's log, formatted to end an error message.
func (p *process) tail() string {
	const keep = 20
	data, err := os.ReadFile(p.log)
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > keep {
		lines = lines[len(lines)-keep:]
	}
	return fmt.Sprintf("\n--- last lines of the %s log ---\n%s", p.name, strings.Join(lines, "\n"))
}
