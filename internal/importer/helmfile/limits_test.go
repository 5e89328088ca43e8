package helmfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAHelmfileTooLargeIsRefusedBeforeItIsReadWhole(t *testing.T) {
	// A sparse file of 1 GiB: read whole, it would cost that much memory first.
	path := filepath.Join(t.TempDir(), "helmfile.yaml")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 1<<30); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Read of a 1 GiB helmfile.yaml: %v; want it refused as larger than 4 MiB, with its path", err)
	}
}
