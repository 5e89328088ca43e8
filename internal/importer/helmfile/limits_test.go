package helmfile

import (
	"strings"
	"testing"

	"kaji.dev/kaji/internal/readlimit/readlimittest"
)

func TestAHelmfileTooLargeIsRefusedBeforeItIsReadWhole(t *testing.T) {
	path := readlimittest.HugeFile(t, "helmfile.yaml")
	_, err := Read(path, Options{})
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Read of a 1 GiB helmfile.yaml: %v; want it refused as larger than 4 MiB, with its path", err)
	}
}
