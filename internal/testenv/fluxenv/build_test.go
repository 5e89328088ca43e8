package fluxenv

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The harness looks for the controllers where the build script puts them, whatever versions
// tools/flux pins.
func TestBuildDirIsTheScripts(t *testing.T) {
	root, dir, err := locate()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", filepath.Join(root, "hack", "build-flux.sh"), "--print-dir").Output()
	if err != nil {
		t.Fatalf("hack/build-flux.sh --print-dir: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != dir {
		t.Errorf("hack/build-flux.sh builds into %s, fluxenv looks in %s", got, dir)
	}
	if !strings.Contains(dir, "source-controller-v") || !strings.Contains(dir, "_helm-controller-v") {
		t.Errorf("build directory %s does not name both versions", dir)
	}
}
