// Package parentwatch stops kwok once the process that started it is gone, as
// tools/controlplane/internal/parentwatch does for the control plane (a separate module
// cannot import that one). kaji's test harness starts kwok as a child of the test binary;
// when that binary dies without stopping it (a panic, a -timeout, Ctrl-C) it would run on
// forever. Stopped by SIGTERM, it shuts down as usual.
package parentwatch

import (
	"os"
	"syscall"
	"time"
)

const (
	interval = time.Second
	// grace is how long a graceful shutdown may take before the process exits anyway.
	grace = 10 * time.Second
)

// Start watches the parent process in the background. A process whose parent is already
// init (started by a service manager, or detached on purpose) is left alone.
func Start() {
	parent := os.Getppid()
	if parent <= 1 {
		return
	}
	go func() {
		for {
			time.Sleep(interval)
			if os.Getppid() == parent {
				continue
			}
			if self, err := os.FindProcess(os.Getpid()); err == nil {
				_ = self.Signal(syscall.SIGTERM)
			}
			time.Sleep(grace)
			os.Exit(1)
		}
	}()
}
