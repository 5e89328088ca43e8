// Command kaji manages the Helm releases of a Kubernetes cluster as code.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
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
	tuneGC()
	tuneMemProfile()
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

// gcPercent is the garbage collector's target for a run of kaji: the heap may grow to three
// times what is live before a collection (Go's default, GOGC=100, is twice). A run is short and
// allocates most in its first second, while the heap is small, loading and rendering charts;
// with the default, validating the chart corpus as a new process collected 24 times. The cost
// in memory is measured in BENCHMARKS.md (peak RSS of every kubeops operation).
const gcPercent = 200

// tuneGC sets gcPercent, unless GOGC says otherwise.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

// tuneMemProfile turns off the sampling of allocations for heap profiles, which kaji never
// writes, unless GODEBUG sets memprofilerate. Each sampled allocation records its stack in
// tables the runtime allocates on first use: validating the chart corpus as a new process
// took about 35 ms less without them, most of it first touches of fresh memory
// (BENCHMARKS.md).
func tuneMemProfile() {
	if !strings.Contains(os.Getenv("GODEBUG"), "memprofilerate=") {
		runtime.MemProfileRate = 0
	}
}
