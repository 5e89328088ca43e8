// Package version carries kaji's build version, set at link time.
package version

import (
	"runtime"
	"runtime/debug"

	"helm.sh/helm/v4/pkg/chart/common"
)

// Version is set with -ldflags "-X kaji.dev/kaji/internal/version.Version=...".
var Version = ""

// Info describes this build.
type Info struct {
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Helm      string `json:"helm"`
	Platform  string `json:"platform"`
}

// Get returns the build information.
func Get() Info {
	info := Info{Version: Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, dep := range bi.Deps {
			if dep.Path == "helm.sh/helm/v4" {
				info.Helm = dep.Version
			}
		}
	}
	if info.Helm == "" {
		// Test binaries carry no module list; Helm's own build info knows its minor.
		info.Helm = common.DefaultCapabilities.HelmVersion.Version
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}
