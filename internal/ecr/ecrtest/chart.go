package ecrtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/registry"
	"kaji.dev/kaji/internal/chart/charttest"
)

// Push packages a tiny chart name-version (a ConfigMap named after the release, whose data
// says the chart and version) with Helm's packager and pushes it with Helm's registry client
// to repository/name (repository as in path/to, without a host), where every host of r
// serves it.
func (r *Registry) Push(t testing.TB, repository, name, version string) *registry.PushResult {
	t.Helper()
	archive, _ := charttest.Package(t, t.TempDir(), name, version, "hello from "+name+" "+version)
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	client, err := registry.NewClient(registry.ClientOptPlainHTTP(),
		registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := client.Push(data, r.PlainHost()+"/"+strings.Trim(repository, "/")+"/"+name+":"+version)
	if err != nil {
		t.Fatal(err)
	}
	return res
}
