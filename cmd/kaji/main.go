// Command kaji manages the Helm releases of a Kubernetes cluster as code.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
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
	stopProfile := startProfile(os.Getenv("KAJI_CPUPROFILE"))
	code := cli.Run(ctx, abort, os.Args[1:], cli.StdStreams())
	cancel()
	stopProfile()
	os.Exit(code)
}

// startProfile writes a CPU profile of the run to path, for `go tool pprof`, when path is
// set (KAJI_CPUPROFILE): how the benchmarks find where a run spends its time.
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "KAJI_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
