// Package parentwatch stops a control plane process once the process that started it is
// gone. kaji's test harness starts kube-apiserver and etcd as children of the test binary;
// when that binary dies without stopping them (a panic, a -timeout, Ctrl-C) they would run
// on forever, holding ports and memory. Stopped by SIGTERM, they shut down as usual.
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
