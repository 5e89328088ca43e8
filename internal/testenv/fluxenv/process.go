package fluxenv

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"kaji.dev/kaji/internal/testenv/proc"
)

// stopTimeout bounds a controller's shutdown after SIGTERM.
const stopTimeout = 30 * time.Second

// A process is one controller, its output in its own log file.
type process struct{ *proc.Process }

// startProcess runs path with args, and the test's environment less proxies and CA settings,
// plus env.
func startProcess(name, path, logPath string, args, env []string) (*process, error) {
	p, err := proc.Start(name, path, logPath, args, append(baseEnv(), env...))
	if err != nil {
		return nil, err
	}
	return &process{p}, nil
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

// exited returns an error naming the process, with the end of its log, if it is no longer
// running, and nil while it runs.
func (p *process) exited() error {
	if err := p.Exited(); err != nil {
		return fmt.Errorf("%w%s", err, p.tail())
	}
	return nil
}

// stop asks the process to shut down and kills it when it has not after stopTimeout.
func (p *process) stop() error {
	if err := p.exited(); err != nil {
		return fmt.Errorf("before the test ended: %w", err)
	}
	return p.Stop(stopTimeout)
}

// tail is the end of the process's log, formatted to end an error message.
func (p *process) tail() string {
	const keep = 20
	data, err := os.ReadFile(p.Log)
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > keep {
		lines = lines[len(lines)-keep:]
	}
	return fmt.Sprintf("\n--- last lines of the %s log ---\n%s", p.Name, strings.Join(lines, "\n"))
}
