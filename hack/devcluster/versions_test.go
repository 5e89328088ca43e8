package main

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/modfile"
)

// TestControlPlaneSharesKajisModuleVersions keeps tools/controlplane, the module the control
// plane is built from, at kaji's version of every module both require. Go reuses a compiled
// package only when everything under it is the same, so one module at another version (such
// as golang.org/x/net, which nearly all of client-go imports) makes a cold `make demo` compile
// client-go, k8s.io/api and the rest twice: once for kaji, once for kube-apiserver.
func TestControlPlaneSharesKajisModuleVersions(t *testing.T) {
	kaji := requirements(t, filepath.Join("..", "..", "go.mod"))
	cp := requirements(t, filepath.Join("..", "..", "tools", "controlplane", "go.mod"))
	shared := 0
	for path, v := range kaji {
		other, ok := cp[path]
		if !ok {
			continue
		}
		shared++
		if other != v {
			t.Errorf("%s: kaji requires %s, tools/controlplane %s; run `go get %s@%s` in tools/controlplane (then go mod tidy), or move kaji", path, v, other, path, v)
		}
	}
	if shared < 20 {
		t.Fatalf("only %d modules required by both go.mod files: are they read right?", shared)
	}
}

// requirements returns the version of each module the go.mod at path requires, after its
// replace directives.
func requirements(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range f.Require {
		out[r.Mod.Path] = r.Mod.Version
	}
	for _, r := range f.Replace {
		if _, ok := out[r.Old.Path]; ok && r.New.Version != "" {
			out[r.Old.Path] = r.New.Version
		}
	}
	return out
}
