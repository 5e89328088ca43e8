package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// An Env keeps everything in one directory:
//
//	kubeconfig, kube-apiserver.log, etcd.log
//	etcd/    etcd's data
//	certs/   the API server's certificates (envtest writes them)
//	owner    the pid of the process that made a temporary directory
//
// so that a control plane whose owner died without Stop leaves one directory behind, which
// the next Start removes.
const (
	tempPattern = "kaji-testenv-"
	ownerFile   = "owner"
	etcdDir     = "etcd"
	certsDir    = "certs"
)

func (e *Env) makeDir(workDir string) error {
	if workDir == "" {
		sweepTempDirs()
		dir, err := os.MkdirTemp("", tempPattern)
		if err != nil {
			return fmt.Errorf("create control plane directory: %w", err)
		}
		e.dir, e.tempDir = dir, true
		if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			return fmt.Errorf("create control plane directory: %w", err)
		}
	} else {
		e.dir = workDir
		// Left by a run that was killed: envtest keeps old certificates and would then fail.
		if err := e.removeState(); err != nil {
			return err
		}
	}
	for _, sub := range []string{etcdDir, certsDir} {
		if err := os.MkdirAll(filepath.Join(e.dir, sub), 0o700); err != nil {
			return fmt.Errorf("create control plane directory: %w", err)
		}
	}
	return nil
}

// removeState removes what a stopped control plane leaves in a work directory, all but the logs.
func (e *Env) removeState() error {
	var errs []error
	for _, sub := range []string{etcdDir, certsDir} {
		if err := os.RemoveAll(filepath.Join(e.dir, sub)); err != nil {
			errs = append(errs, fmt.Errorf("clean control plane directory: %w", err))
		}
	}
	if err := os.Remove(filepath.Join(e.dir, "kubeconfig")); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("remove kubeconfig: %w", err))
	}
	return errors.Join(errs...)
}

// sweepTempDirs removes the temporary directories of Envs whose owner process is gone.
// It is best effort: a directory it cannot judge stays.
func sweepTempDirs() {
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), tempPattern+"*"))
	if err != nil {
		return
	}
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
