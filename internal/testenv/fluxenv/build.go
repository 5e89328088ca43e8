package fluxenv

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// controllers are the Flux programs hack/build-flux.sh builds, each named after its module
// github.com/fluxcd/<name>.
var controllers = []string{"source-controller", "helm-controller"}

// toolsModule is tools/flux's go.mod, relative to the repository root: it pins the versions,
// and so names the build directory.
const toolsModule = "tools/flux/go.mod"

// buildDir returns the directory hack/build-flux.sh builds the versions of tools/flux into,
// once it holds both controllers and the CRDs.
func buildDir() (string, error) {
	root, dir, err := locate()
	if err != nil {
		return "", err
	}
	missing := func(err error) error {
		return fmt.Errorf("flux controllers not built (run `make flux` at %s): %w", root, err)
	}
	for _, c := range controllers {
		info, err := os.Stat(filepath.Join(dir, c))
		if err != nil {
			return "", missing(err)
		}
		if info.IsDir() || info.Mode().Perm()&0o111 == 0 {
			return "", missing(fmt.Errorf("%s is not an executable file", filepath.Join(dir, c)))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "crds")); err != nil {
		return "", missing(err)
	}
	return dir, nil
}

// locate finds the repository root above the working directory, and in it the directory
// that hack/build-flux.sh builds the versions of tools/flux into.
func locate() (root, dir string, err error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", "", fmt.Errorf("get working directory: %w", err)
	}
	root = wd
	for {
		if _, err := os.Stat(filepath.Join(root, toolsModule)); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return "", "", fmt.Errorf("no %s at or above %s", toolsModule, wd)
		}
		root = parent
	}
	versions, err := requiredVersions(filepath.Join(root, toolsModule))
	if err != nil {
		return "", "", err
	}
	var name []string
	for _, c := range controllers {
		v, ok := versions["github.com/fluxcd/"+c]
		if !ok {
			return "", "", fmt.Errorf("%s does not require github.com/fluxcd/%s", toolsModule, c)
		}
		name = append(name, c+"-"+v)
	}
	return root, filepath.Join(root, ".cache", "flux", strings.Join(name, "_")), nil
}

// requiredVersions reads the module versions a go.mod requires, as hack/build-flux.sh does.
func requiredVersions(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read flux versions: %w", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 0 && fields[0] == "require" {
			fields = fields[1:]
		}
		if len(fields) >= 2 && strings.HasPrefix(fields[1], "v") {
			out[fields[0]] = fields[1]
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read flux versions: %w", err)
	}
	return out, nil
}
