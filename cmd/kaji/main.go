// Command kaji manages the Helm releases of a Kubernetes cluster as code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"kaji.dev/kaji/internal/cli"
)

func main() {
	// The first interrupt stops new work and lets running Helm operations finish; the second
	// aborts at once.
	ctx, cancel := context.WithCancel(context.Background())
	abort := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		close(abort)
	}()
	code := cli.Run(ctx, abort, os.Args[1:], cli.StdStreams())
	cancel()
	os.Exit(code)
}
