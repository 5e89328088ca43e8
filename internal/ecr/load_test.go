package ecr_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/ecr"
	"kaji.dev/kaji/internal/ecr/ecrtest"
)

// brokenCredentialStores points Helm's and Docker's configuration at fresh directories whose
// Docker configuration names a credential helper that does not exist, for every registry and
// for the ECR hosts: a load that consulted them would fail. It returns the directories.
func brokenCredentialStores(t *testing.T) []string {
	t.Helper()
	docker, home, config := t.TempDir(), t.TempDir(), t.TempDir()
	body := `{"credsStore": "kaji-test-missing", "credHelpers": {"public.ecr.aws": "kaji-test-missing", "` + hostEU + `": "kaji-test-missing"}}`
	if err := os.WriteFile(filepath.Join(docker, "config.json"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", docker)
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", config)
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(config, "helm", "registry", "config.json"))
	return []string{docker, home, config}
}

// files lists the files under dirs.
func files(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// ecrLoader is a chart loader that reaches reg under the ECR names, with an Auth signing as
// keyID at sim.
func ecrLoader(t *testing.T, reg *ecrtest.Registry, cfg *configs) *chart.Loader {
	t.Helper()
	return chart.NewLoader(chart.Options{
		CacheDir:     t.TempDir(),
		HTTPClient:   reg.HTTPClient(),
		RegistryAuth: ecr.NewAuth(cfg.config, ecr.Options{}),
	})
}

func TestLoadFromECR(t *testing.T) {
	dirs := brokenCredentialStores(t)
	sim := startSim(t)
	reg := ecrtest.Start(t, sim, hostEU)
	alpha := reg.Push(t, "charts", "alpha", "1.0.0")
	reg.Push(t, "charts", "alpha", "1.1.0")
	beta := reg.Push(t, "charts/team", "beta", "2.0.0")
	cfg := newConfigs(t, sim, pullerKey)
	l := ecrLoader(t, reg, cfg)

	tests := []struct{ ref, version, want, digest string }{
		{"oci://" + hostEU + "/charts/alpha", "1.0.0", "1.0.0", alpha.Manifest.Digest},
		{"oci://" + hostEU + "/charts/alpha", "^1", "1.1.0", ""}, // lists the tags
		{"oci://" + hostEU + "/charts/team/beta", "2.0.0", "2.0.0", beta.Manifest.Digest},
	}
	for _, tt := range tests {
		got, err := l.Load(t.Context(), tt.ref, tt.version)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.ref, tt.version, err)
		}
		if got.Version != tt.want || tt.digest != "" && got.ManifestDigest != tt.digest {
			t.Errorf("%s %s = %s (%s), want %s (%s)", tt.ref, tt.version, got.Version, got.ManifestDigest, tt.want, tt.digest)
		}
	}

	// One token for the run, and every registry operation authorized as the one identity.
	var tokens int
	actions := map[string]bool{}
	for _, c := range sim.Calls() {
		switch {
		case c.Service == "ecr" && c.Action == "GetAuthorizationToken":
			tokens++
		case c.Service == "ecr" && c.Status == http.StatusOK && c.Caller == "arn:aws:iam::111122223333:user/puller":
			actions[c.Action] = true
		default:
			t.Errorf("unexpected call %+v", c)
		}
	}
	if tokens != 1 {
		t.Errorf("GetAuthorizationToken called %d times, want once per registry and run", tokens)
	}
	for _, a := range []string{"BatchGetImage", "GetDownloadUrlForLayer", "ListImages"} {
		if !actions[a] {
			t.Errorf("no %s authorized for user/puller; got %v", a, actions)
		}
	}
	// Nothing was written where Helm and Docker keep credentials.
	if got := files(t, dirs...); !slices.Equal(got, []string{filepath.Join(dirs[0], "config.json")}) {
		t.Errorf("files in the credential directories: %v, want only the Docker configuration written by the test", got)
	}
}

func TestLoadFromECRDenied(t *testing.T) {
	brokenCredentialStores(t)
	sim := startSim(t)
	reg := ecrtest.Start(t, sim, hostEU)
	reg.Push(t, "charts", "alpha", "1.0.0")
	ref := "oci://" + hostEU + "/charts/alpha"

	t.Run("no ecr:GetAuthorizationToken", func(t *testing.T) {
		_, err := ecrLoader(t, reg, newConfigs(t, sim, nobodyKey)).Load(t.Context(), ref, "1.0.0")
		var rae *chart.RegistryAuthError
		var e *ecr.Error
		if !errors.As(err, &rae) || !errors.As(err, &e) {
			t.Fatalf("err = %v, want a *chart.RegistryAuthError holding an *ecr.Error", err)
		}
		for _, want := range []string{
			"load chart " + ref + ": fetch " + ref + ":1.0.0: credentials for registry " + hostEU,
			"get an ECR token for " + hostEU + " as arn:aws:iam::111122223333:user/nobody",
			"AccessDeniedException", "allow it ecr:GetAuthorizationToken",
			"ecr:BatchGetImage and ecr:GetDownloadUrlForLayer",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
		if strings.Contains(err.Error(), "check the URL and the network") {
			t.Errorf("error gives the network hint:\n%v", err)
		}
	})

	t.Run("no pull permission", func(t *testing.T) {
		_, err := ecrLoader(t, reg, newConfigs(t, sim, tokenOnlyKey)).Load(t.Context(), ref, "1.0.0")
		var fe *chart.FetchError
		if !errors.As(err, &fe) || fe.StatusCode != http.StatusForbidden {
			t.Fatalf("err = %v, want a 403 *chart.FetchError", err)
		}
		for _, want := range []string{
			"ECR refused the token of arn:aws:iam::111122223333:user/tokenonly",
			"ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on arn:aws:ecr:eu-west-1:111122223333:repository/charts/alpha",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})

	t.Run("a password the registry does not know", func(t *testing.T) {
		// Another simulator issues tokens the registry's has never seen.
		other := startSim(t)
		_, err := ecrLoader(t, reg, newConfigs(t, other, pullerKey)).Load(t.Context(), ref, "1.0.0")
		var fe *chart.FetchError
		if !errors.As(err, &fe) || fe.StatusCode != http.StatusUnauthorized {
			t.Fatalf("err = %v, want a 401 *chart.FetchError", err)
		}
		if !strings.Contains(err.Error(), "ECR did not accept the token of arn:aws:iam::111122223333:user/puller") {
			t.Errorf("error does not say whose token was refused and what it needs:\n%v", err)
		}
	})
}

func TestLoadFromECRPublic(t *testing.T) {
	brokenCredentialStores(t)
	sim := startSim(t)
	reg := ecrtest.Start(t, sim)
	pushed := reg.Push(t, "kaji/charts", "gamma", "0.3.0")
	l := chart.NewLoader(chart.Options{
		CacheDir:   t.TempDir(),
		HTTPClient: reg.HTTPClient(),
		RegistryAuth: ecr.NewAuth(func(context.Context) (aws.Config, error) {
			t.Error("a public pull asked for the AWS configuration")
			return aws.Config{}, errors.New("not for public pulls")
		}, ecr.Options{}),
	})
	got, err := l.Load(t.Context(), "oci://public.ecr.aws/kaji/charts/gamma", "~0.3")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != "0.3.0" || got.ManifestDigest != pushed.Manifest.Digest {
		t.Errorf("loaded %s %s, want 0.3.0 %s", got.Version, got.ManifestDigest, pushed.Manifest.Digest)
	}
	if n := reg.Requests(ecrtest.PublicHost); n == 0 || len(sim.Calls()) != 0 {
		t.Errorf("%d requests to public.ecr.aws, AWS calls %q; want requests and no AWS call", n, calls(sim))
	}
}

func TestNoAWSCallWithoutECRCharts(t *testing.T) {
	sim := startSim(t)
	reg := ecrtest.Start(t, sim)
	reg.Push(t, "charts", "delta", "1.0.0")
	local := filepath.Join(t.TempDir(), "local")
	if err := os.MkdirAll(filepath.Join(local, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(local, "Chart.yaml"), []byte("apiVersion: v2\nname: local\nversion: 0.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := newConfigs(t, sim, pullerKey)
	l := chart.NewLoader(chart.Options{CacheDir: t.TempDir(), PlainHTTP: true, RegistryAuth: ecr.NewAuth(cfg.config, ecr.Options{})})
	for ref, version := range map[string]string{"oci://" + reg.PlainHost() + "/charts/delta": "^1", local: ""} {
		if _, err := l.Load(t.Context(), ref, version); err != nil {
			t.Fatal(err)
		}
	}
	if n := cfg.calls.Load(); n != 0 || len(sim.Calls()) != 0 {
		t.Errorf("%d AWS configurations made and calls %q for charts not on ECR; want none", n, calls(sim))
	}
}
