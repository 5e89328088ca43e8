package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/spec"
)

// A run reads kaji.yaml once: validation, the chart loader and the plan work from one parse
// of it (each command once read it three or four times).
func TestOneRunReadsKajiYAMLOnce(t *testing.T) {
	dir := t.TempDir()
	chart, err := filepath.Abs("testdata/plan/charts/app")
	if err != nil {
		t.Fatal(err)
	}
	// A cluster that refuses every connection: plan and apply fail at their first request,
	// after everything they read before it.
	kc := clientcmdapi.NewConfig()
	kc.Clusters["gone"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	kc.AuthInfos["gone"] = &clientcmdapi.AuthInfo{Token: "x"}
	kc.Contexts["gone"] = &clientcmdapi.Context{Cluster: "gone", AuthInfo: "gone"}
	kc.CurrentContext = "gone"
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "kaji.yaml")
	body := "apiVersion: kaji.dev/v1alpha1\nproject: once\nreleases:\n" +
		"  - {name: web, namespace: web, chart: " + chart + "}\n" +
		"  - {name: api, namespace: api, chart: " + chart + ", needs: [web]}\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(noValidationCache, "1")
	for _, args := range [][]string{
		{"validate"},
		{"plan"},
		{"plan", "api"},
		{"apply", "--yes", "--lock-timeout", "1s"},
		{"apply", "--yes", "--lock-timeout", "1s", "api"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var reads atomic.Int32
			var out, errOut bytes.Buffer
			streams := Streams{In: strings.NewReader(""), Out: &out, Err: &errOut, Secrets: secrets.NewRegistry()}
			g := &globalFlags{inflight: newInflight(), secrets: streams.Secrets, warnings: streams.Err,
				loadSpec: func(path string) (*spec.Document, error) {
					reads.Add(1)
					return spec.Load(path)
				}}
			root := g.root(streams)
			root.SetArgs(append(args, "-f", file, "--kubeconfig", kubeconfig, "--lock", "readonly"))
			err := root.ExecuteContext(t.Context())
			if args[0] == "validate" && err != nil {
				t.Fatalf("validate: %v\n%s", err, errOut.String())
			}
			if args[0] != "validate" && (err == nil || !strings.Contains(err.Error(), "127.0.0.1:1")) {
				t.Fatalf("%s against a closed port: %v, want its connection error\n%s", args[0], err, errOut.String())
			}
			if n := reads.Load(); n != 1 {
				t.Errorf("kaji.yaml read %d times, want once", n)
			}
		})
	}
}
