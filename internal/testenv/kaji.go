package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	kajiOnce sync.Once
	kajiPath string
	kajiErr  error
)

// Kaji builds the kaji command of this checkout once per test process and returns its path,
// for tests that run kaji as a separate process. It goes to .cache/test-bin/<the test's
// package directory>/kaji, which the next run of the same package builds over, rather than to
// a new temporary directory each run, which nothing would remove.
func Kaji(t testing.TB) string {
	t.Helper()
	kajiOnce.Do(func() { kajiPath, kajiErr = buildKaji() })
	if kajiErr != nil {
		t.Fatal(kajiErr)
	}
	return kajiPath
}

func buildKaji() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root, err := findRoot(wd)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(root, wd)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, ".cache", "test-bin", rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("directory of the test build of kaji: %w", err)
	}
	path := filepath.Join(dir, "kaji")
	if out, err := exec.Command("go", "build", "-o", path, "kaji.dev/kaji/cmd/kaji").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build of kaji: %v\n%s", err, out)
	}
	return path, nil
}
