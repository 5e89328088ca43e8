package proc

import "syscall"

// sysProcAttr makes the kernel stop a process when the test binary that started it dies
// without cleaning up, so that no process outlives a crashed test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
