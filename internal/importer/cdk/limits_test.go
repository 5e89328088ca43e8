package cdk

import (
	"path/filepath"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/readlimit/readlimittest"
)

func TestAnAssemblyFileTooLargeIsRefusedBeforeItIsReadWhole(t *testing.T) {
	dir := filepath.Dir(readlimittest.HugeFile(t, "manifest.json"))
	var v any
	err := readJSONFile(dir, "manifest.json", &v)
	if err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") || !strings.Contains(err.Error(), "manifest.json") {
		t.Fatalf("readJSONFile of a 1 GiB manifest.json: %v; want it refused as larger than 16 MiB", err)
	}
}
