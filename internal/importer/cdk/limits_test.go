package cdk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnAssemblyFileTooLargeIsRefusedBeforeItIsReadWhole(t *testing.T) {
	// A sparse manifest.json of 1 GiB: read whole, it would cost that much memory first.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, "manifest.json"), 1<<30); err != nil {
		t.Fatal(err)
	}
	var v any
	err := readJSONFile(dir, "manifest.json", &v)
	if err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") || !strings.Contains(err.Error(), "manifest.json") {
		t.Fatalf("readJSONFile of a 1 GiB manifest.json: %v; want it refused as larger than 16 MiB", err)
	}
}
