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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.StdStreams())
	stop()
	os.Exit(code)
}
