package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

const (
	// rootModule is the module path whose go.mod marks the repository root.
	rootModule = "kaji.dev/kaji"
	// versionsFile names, relative to the repository root, the one file that says which
	// control plane build is current. hack/build-controlplane.sh checks it against
	// tools/controlplane/go.mod and builds into .cache/controlplane/<its content>/.
	versionsFile = "tools/controlplane/VERSIONS"
	// assetsParent is where hack/build-controlplane.sh puts its builds, relative to the root.
	assetsParent = ".cache/controlplane"
)

// binaries are the control plane programs every Env needs.
var binaries = []string{"kube-apiserver", "etcd"}

// assets locates the control plane binaries of this checkout.
type assets struct {
	root string // repository root
	dir  string // directory holding kube-apiserver and etcd
}

// findAssets walks up from the working directory to the repository root, reads which build
// is current, and checks that its binaries exist.
func findAssets() (assets, error) {
	wd, err := os.Getwd()
	if err != nil {
		return assets{}, fmt.Errorf("get working directory: %w", err)
	}
	root, err := findRoot(wd)
	if err != nil {
		return assets{}, err
	}
	raw, err := os.ReadFile(filepath.Join(root, versionsFile))
	if err != nil {
		return assets{}, fmt.Errorf("read control plane version: %w", err)
	}
	name := strings.TrimSpace(string(raw))
	if name == "" || strings.ContainsAny(name, "/\\ \n") {
		return assets{}, fmt.Errorf("%s: want one directory name, got %q", versionsFile, name)
	}
	a := assets{root: root, dir: filepath.Join(root, assetsParent, name)}
	for _, bin := range binaries {
		if err := checkExecutable(filepath.Join(a.dir, bin)); err != nil {
			return assets{}, fmt.Errorf("control plane binaries missing (run `make controlplane` at %s): %w", root, err)
		}
	}
	return a, nil
}

// findRoot returns the nearest directory at or above dir whose go.mod declares rootModule.
func findRoot(dir string) (string, error) {
	for d := dir; ; {
		mod, err := modulePath(filepath.Join(d, "go.mod"))
		if err != nil {
			return "", err
		}
		if mod == rootModule {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod of module %s at or above %s", rootModule, dir)
		}
		d = parent
	}
}

// modulePath returns the module path declared by the go.mod at path, or "" if there is none.
func modulePath(path string) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return "", nil
}

func checkExecutable(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// Binary returns the path of a program of the control plane build of this checkout, such as
// kubectl, for tests that must see what the real program does.
func Binary(name string) (string, error) {
	a, err := findAssets()
	if err != nil {
		return "", err
	}
	path := filepath.Join(a.dir, name)
	if err := checkExecutable(path); err != nil {
		return "", fmt.Errorf("%s is not in the control plane build (run `make controlplane` at %s): %w", name, a.root, err)
	}
	return path, nil
}
