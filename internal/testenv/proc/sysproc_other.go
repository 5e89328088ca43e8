//go:build !linux

package proc

import "syscall"

// sysProcAttr: only Linux stops a child when its parent dies; elsewhere a crashed test binary
// leaves its controllers running until they are killed.
func sysProcAttr() *syscall.SysProcAttr { return nil }
