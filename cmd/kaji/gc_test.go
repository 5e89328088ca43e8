package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"testing"
)

func TestGCTargetUnlessGOGCIsSet(t *testing.T) {
	restore := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(restore) })

	if v, set := os.LookupEnv("GOGC"); set {
		t.Setenv("GOGC", v) // restored after the test
	}
	os.Unsetenv("GOGC")
	tuneGC()
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, gcPercent)
	}

	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50) // what the runtime read from GOGC at start
	tuneGC()
	if got := debug.SetGCPercent(100); got != 50 {
		t.Errorf("GOGC=50: GC percent %d, want GOGC's 50", got)
	}
}

func TestNoHeapProfileSamplingUnlessGODEBUGAsksForIt(t *testing.T) {
	restore := runtime.MemProfileRate
	t.Cleanup(func() { runtime.MemProfileRate = restore })

	t.Setenv("GODEBUG", "")
	runtime.MemProfileRate = 512 * 1024 // the runtime's default
	tuneMemProfile()
	if runtime.MemProfileRate != 0 {
		t.Errorf("GODEBUG unset: MemProfileRate %d, want 0", runtime.MemProfileRate)
	}

	t.Setenv("GODEBUG", "gctrace=1,memprofilerate=1")
	runtime.MemProfileRate = 1 // what the runtime read from GODEBUG at start
	tuneMemProfile()
	if runtime.MemProfileRate != 1 {
		t.Errorf("GODEBUG=memprofilerate=1: MemProfileRate %d, want GODEBUG's 1", runtime.MemProfileRate)
	}
}
