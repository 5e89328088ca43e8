package cli_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/ecr/ecrtest"
)

// ecrWorld is the AWS account of the ECR tests: deployer may get ECR tokens and pull the
// repositories under charts/.
const ecrWorld = `
accounts:
  - id: "111122223333"
    users:
      - name: deployer
        accessKeys:
          - {id: AKIADEPLOYER00000001, secret: deployer-secret-key-0000000000000000001}
        policies:
          - name: pull-charts
            document:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: ecr:GetAuthorizationToken, Resource: "*"}
                - {Effect: Allow, Action: [ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:ListImages], Resource: "arn:aws:ecr:eu-west-1:111122223333:repository/charts/*"}
`

// ecrCalls counts the simulator's GetAuthorizationToken calls and the registry operations it
// authorized, failing t for any other call.
func ecrCalls(t *testing.T, sim *awssim.Server) (tokens, pulls int) {
	t.Helper()
	for _, c := range sim.Calls() {
		switch {
		case c.Service != "ecr" || c.Caller != "arn:aws:iam::111122223333:user/deployer" || c.ErrorCode != "":
			t.Errorf("unexpected AWS call %+v", c)
		case c.Action == "GetAuthorizationToken":
			tokens++
		default:
			pulls++
		}
	}
	return tokens, pulls
}

// kaji plan and apply, as processes, install a chart from a private ECR registry: the token
// comes from ecr:GetAuthorizationToken with kaji's AWS credentials, in memory. The registry
// is reached under its ECR name through an HTTPS proxy, as a process finds any registry.
func TestPlanAndApplyChartFromECR(t *testing.T) {
	env.Require(t)
	sim := awssim.StartT(t, ecrWorld)
	host := awssim.ECRRegistryHost("111122223333", "eu-west-1")
	reg := ecrtest.Start(t, sim, host)
	reg.Push(t, "charts", "hello", "1.0.0")
	flags, ns, _ := planProject(t, "ecr", `
releases:
  - name: hello
    namespace: NS1
    chart: oci://`+host+`/charts/hello
    version: 1.0.0
`)

	// A fresh home, caches and configuration; a Docker configuration whose credential helper
	// does not exist, which a run that consulted it would fail on.
	home, cache, conf, docker := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(docker, "config.json"), []byte(`{"credsStore":"kaji-test-missing"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"HOME": home, "XDG_CACHE_HOME": cache, "XDG_CONFIG_HOME": conf, "DOCKER_CONFIG": docker}
	for _, m := range []map[string]string{sim.EnvFor(t, "AKIADEPLOYER00000001", "eu-west-1"), reg.ProcessEnv(t, t.TempDir())} {
		for k, v := range m {
			vars[k] = v
		}
	}
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary(t), append(args, flags...)...)
		cmd.Env = processEnv(vars)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kaji %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	out := run("plan")
	if !strings.Contains(out, "hello") || !strings.Contains(out, "1.0.0") {
		t.Errorf("plan does not show hello 1.0.0:\n%s", out)
	}
	tokens, pulls := ecrCalls(t, sim)
	if tokens != 1 || pulls == 0 || reg.Tunnels(host+":443") == 0 {
		t.Errorf("plan: %d tokens, %d registry operations, %d tunnels; want 1 token and a pull through the proxy", tokens, pulls, reg.Tunnels(host+":443"))
	}

	// apply validates and installs from the chart cache: an exact version already cached
	// needs no registry, and so no token.
	out = run("apply", "--yes")
	if !strings.Contains(out, "installed hello-1.0.0") {
		t.Errorf("apply did not install hello-1.0.0:\n%s", out)
	}
	if again, _ := ecrCalls(t, sim); again != tokens {
		t.Errorf("apply from the cache asked for %d more tokens, want none", again-tokens)
	}
	cm, err := env.Client.CoreV1().ConfigMaps(ns).Get(t.Context(), "hello", metav1.GetOptions{})
	if err != nil || cm.Data["greeting"] != "hello from hello 1.0.0" {
		t.Fatalf("ConfigMap hello: %v %v, want the chart's greeting", cm.Data, err)
	}
	// Nothing was written where Helm and Docker keep credentials.
	for _, dir := range []string{home, conf, docker} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && path != filepath.Join(docker, "config.json") {
				t.Errorf("kaji wrote %s", path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// processEnv is the test's environment without AWS, proxy or home settings, plus vars.
func processEnv(vars map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch up := strings.ToUpper(k); {
		case strings.HasPrefix(up, "AWS_"), strings.HasSuffix(up, "_PROXY"), up == "SSL_CERT_FILE", up == "SSL_CERT_DIR":
			continue
		case vars[k] != "":
			continue
		}
		out = append(out, kv)
	}
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// A project without ECR charts makes no AWS call, even with AWS credentials at hand.
func TestNoAWSCallWithoutECRCharts(t *testing.T) {
	env.Require(t)
	isolate(t)
	sim := awssim.StartT(t, ecrWorld)
	for k, v := range sim.EnvFor(t, "AKIADEPLOYER00000001", "eu-west-1") {
		t.Setenv(k, v)
	}
	flags, _, _ := planProject(t, "noecr", `
releases:
  - {name: app, namespace: NS1, chart: CHARTS/app}
`)
	for _, args := range [][]string{{"validate"}, {"plan"}, {"apply", "--yes"}} {
		if r := kaji(t, "", false, append(args, flags...)...); r.code != cli.ExitOK {
			t.Fatalf("%s: exit %d\n%s%s", args[0], r.code, r.out, r.err)
		}
	}
	if calls := sim.Calls(); len(calls) != 0 {
		t.Errorf("kaji made AWS calls for a project without ECR charts: %+v", calls)
	}
	// The simulator answers, so no call was not for want of a way to reach it.
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}); err != nil || len(sim.Calls()) != 1 {
		t.Fatalf("the simulator did not answer the test: %v", err)
	}
}
