package fluxenv

import "syscall"

// sysProcAttr makes the kernel stop a controller when the test binary that started it dies
// without cleaning up, so that no controller outlives a crashed test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
