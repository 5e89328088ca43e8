package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/secrets/secretstest"
)

// secretsWorld is the AWS account of the sources test: one reader allowed the secrets kaji
// reads, a SecureString parameter and a JSON secret.
const secretsWorld = `
accounts:
  - id: "111122223333"
    users:
      - name: deployer
        accessKeys:
          - {id: AKIADEPLOYER00000001, secret: deployer-secret-key-0000000000000000001}
        policies:
          - name: kaji-secrets
            document:
              Version: "2012-10-17"
              Statement:
                - {Effect: Allow, Action: "ssm:GetParameters", Resource: "arn:aws:ssm:eu-west-1:111122223333:parameter/kaji/*"}
                - {Effect: Allow, Action: ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"], Resource: "*"}
parameters:
  - {account: "111122223333", region: eu-west-1, name: /kaji/db/password, type: SecureString, value: SSMVALUE}
secrets:
  - account: "111122223333"
    region: eu-west-1
    name: kaji/db
    versions:
      - {stages: [AWSCURRENT], secretString: SMVALUE}
`

// isolate points AWS, the user's home, cache and config directories and the temporary
// directory at fresh directories, and returns them, for the test to search for leaks.
func isolate(t *testing.T) []string {
	t.Helper()
	var dirs []string
	for _, name := range []string{"HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "TMPDIR"} {
		d := t.TempDir()
		t.Setenv(name, d)
		dirs = append(dirs, d)
	}
	return dirs
}

// noSentinelOnDisk fails t for every file under dirs that holds a form of a sentinel.
func noSentinelOnDisk(t *testing.T, dirs []string, sentinels ...sentinel) {
	t.Helper()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, s := range sentinels {
				if leaked := s.leaks(string(data)); len(leaked) > 0 {
					t.Errorf("%s holds the secret (%q)", path, leaked)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Sentinel secrets planted through each real source (an SSM SecureString and a Secrets
// Manager JSON key from the AWS simulator, a SOPS file encrypted for an age key) reach a
// ConfigMap, a container's env and a Secret. No command prints them, no file under the
// project, the caches or the temporary directory holds them, and the live objects do.
func TestSecretsFromEachSourceAreNeverPrintedNorWritten(t *testing.T) {
	env.Require(t)
	dirs := isolate(t)
	ssmS, smS, sopsS := newSentinel("ssm"), newSentinel("sm"), newSentinel("sops")
	rotated := newSentinel("sm-rotated")

	sim := awssim.StartT(t, strings.NewReplacer(
		"SSMVALUE", strconv.Quote(ssmS.value),
		"SMVALUE", strconv.Quote(`{"username":"app","password":`+strconv.Quote(smS.value)+`}`)).Replace(secretsWorld))
	sim.SetEnv(t, "AKIADEPLOYER00000001", "eu-west-1")
	key := secretstest.NewAgeKey(t)
	t.Setenv("SOPS_AGE_KEY", key.Identity())

	chart, err := filepath.Abs("testdata/secrets/charts/sentinel")
	if err != nil {
		t.Fatal(err)
	}
	flags, ns, _ := planProject(t, "sources", `
releases:
  - name: db-ssm
    namespace: NS1
    chart: `+chart+`
    values:
      password: ref+awsssm:///kaji/db/password
  - name: db-sm
    namespace: NS1
    chart: `+chart+`
    values:
      password: secretref+awssecrets://kaji/db#/password
  - name: db-sops
    namespace: NS1
    chart: `+chart+`
    valuesFiles: [values/db.sops.yaml]
`)
	project := filepath.Dir(flags[1])
	dirs = append(dirs, project)
	sopsFile := filepath.Join(project, "values", "db.sops.yaml")
	if err := os.MkdirAll(filepath.Dir(sopsFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sopsFile, key.EncryptYAML(t, []byte("password: "+strconv.Quote(sopsS.value)+"\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{
		"db-ssm":  secrets.LabelRef("ref+awsssm:///kaji/db/password"),
		"db-sm":   secrets.LabelRef("secretref+awssecrets://kaji/db#/password"),
		"db-sops": secrets.LabelFile(filepath.Join("values", "db.sops.yaml")),
	}
	all := []sentinel{ssmS, smS, sopsS, rotated}

	kajiRun := func(step string, args ...string) run {
		t.Helper()
		var out, errOut bytes.Buffer
		code := cli.Main(context.Background(), append(args, flags...), cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
		r := run{code: code, out: out.String(), err: errOut.String()}
		if testing.Verbose() {
			t.Logf("%s:\nstdout:\n%s\nstderr:\n%s", step, r.out, r.err)
		}
		for _, s := range all {
			if leaked := s.leaks(r.out + r.err); len(leaked) > 0 {
				t.Errorf("%s printed the secret (%q):\nstdout:\n%s\nstderr:\n%s", step, leaked, r.out, r.err)
			}
		}
		if r.code != cli.ExitOK {
			t.Fatalf("%s: exit %d\n%s%s", step, r.code, r.out, r.err)
		}
		return r
	}
	live := func(release string, want sentinel) {
		t.Helper()
		cm, err := env.Client.CoreV1().ConfigMaps(ns).Get(t.Context(), release, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sec, err := env.Client.CoreV1().Secrets(ns).Get(t.Context(), release, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		dep, err := env.Client.AppsV1().Deployments(ns).Get(t.Context(), release, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for where, v := range map[string]string{
			"ConfigMap data": cm.Data["password"], "Secret data": string(sec.Data["password"]),
			"container env": dep.Spec.Template.Spec.Containers[0].Env[0].Value,
		} {
			if v != want.value {
				t.Errorf("%s: %s holds %q, want the secret %q", release, where, v, want.value)
			}
		}
	}

	// validate is offline: it reads no secret, and passes.
	kajiRun("validate", "validate")
	calls := len(sim.Calls())
	if calls != 0 {
		t.Errorf("validate made %d AWS calls, want none", calls)
	}

	r := kajiRun("plan", "plan")
	for rel, label := range labels {
		if !strings.Contains(r.out, label) {
			t.Errorf("plan does not show %s where %s's value would be:\n%s", label, rel, r.out)
		}
	}
	r = kajiRun("plan -o json", "plan", "-o", "json", "--show-secrets")
	if !json.Valid([]byte(r.out)) || !strings.Contains(r.out, labels["db-sm"]) {
		t.Errorf("plan -o json: want valid JSON with %s:\n%s", labels["db-sm"], r.out)
	}
	kajiRun("apply -o json -vv", "apply", "-o", "json", "-vv", "--yes")
	live("db-ssm", ssmS)
	live("db-sm", smS)
	live("db-sops", sopsS)

	// The secret changes in Secrets Manager: the plan shows the change by label only.
	if err := sim.PutSecret(awssim.Secret{Account: "111122223333", Region: "eu-west-1", Name: "kaji/db",
		Versions: []awssim.SecretVersion{{Stages: []string{"AWSCURRENT"}, SecretString: `{"username":"app","password":` + strconv.Quote(rotated.value) + `}`}}}); err != nil {
		t.Fatal(err)
	}
	r = kajiRun("plan of a rotation", "plan", "--show-secrets")
	if !strings.Contains(r.out, "db-sm") || !strings.Contains(r.out, labels["db-sm"]) {
		t.Errorf("plan of a rotation does not show the change of db-sm by its label:\n%s", r.out)
	}
	kajiRun("apply -vv", "apply", "-vv", "--yes")
	live("db-sm", rotated)
	kajiRun("status", "status")

	// Batched: one GetParameters and one BatchGetSecretValue per run that reads them.
	for _, c := range sim.Calls() {
		if c.Service == "ssm" && c.Action != "GetParameters" || c.Service == "secretsmanager" && c.Action != "BatchGetSecretValue" {
			t.Errorf("kaji called %s:%s; want only the batch calls", c.Service, c.Action)
		}
	}
	noSentinelOnDisk(t, dirs, all...)
}

// The same references resolve from moto_server, an AWS emulator written apart from kaji's,
// through kaji's own AWS configuration (the ambient chain, for a kubeconfig cluster).
func TestSecretsFromMoto(t *testing.T) {
	env.Require(t)
	isolate(t)
	moto := secretstest.StartMoto(t)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": moto.Endpoint, "AWS_ACCESS_KEY_ID": "AKIAMOTO000000000001", "AWS_SECRET_ACCESS_KEY": "moto-secret",
		"AWS_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true",
	} {
		t.Setenv(k, v)
	}
	ssmS, smS := newSentinel("moto-ssm"), newSentinel("moto-sm")
	cfg, err := config.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ssm.NewFromConfig(cfg).PutParameter(t.Context(), &ssm.PutParameterInput{Name: aws.String("/kaji/moto/password"),
		Type: ssmtypes.ParameterTypeSecureString, Value: aws.String(ssmS.value)}); err != nil {
		t.Fatal(err)
	}
	if _, err := secretsmanager.NewFromConfig(cfg).CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String("kaji/moto"),
		SecretString: aws.String(`{"password":` + strconv.Quote(smS.value) + `}`)}); err != nil {
		t.Fatal(err)
	}
	chart, err := filepath.Abs("testdata/secrets/charts/sentinel")
	if err != nil {
		t.Fatal(err)
	}
	flags, ns, _ := planProject(t, "moto", `
releases:
  - name: db-ssm
    namespace: NS1
    chart: `+chart+`
    values:
      password: ref+awsssm://kaji/moto/password
  - name: db-sm
    namespace: NS1
    chart: `+chart+`
    values:
      password: ref+awssecrets://kaji/moto#/password
`)
	for _, args := range [][]string{{"plan"}, {"apply", "--yes", "-vv"}} {
		r := kaji(t, "", false, append(args, flags...)...)
		if r.code != cli.ExitOK {
			t.Fatalf("%s: exit %d\n%s%s", args[0], r.code, r.out, r.err)
		}
		for _, s := range []sentinel{ssmS, smS} {
			if leaked := s.leaks(r.out + r.err); len(leaked) > 0 {
				t.Errorf("%s printed the secret (%q):\n%s%s", args[0], leaked, r.out, r.err)
			}
		}
	}
	for rel, want := range map[string]sentinel{"db-ssm": ssmS, "db-sm": smS} {
		sec, err := env.Client.CoreV1().Secrets(ns).Get(t.Context(), rel, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(sec.Data["password"]); got != want.value {
			t.Errorf("%s: Secret holds %q, want %q", rel, got, want.value)
		}
	}
}

// A reference kaji may not read fails the plan with the reference, AWS's error and the IAM
// action to allow, and nothing is applied.
func TestSecretsDeniedNameTheAction(t *testing.T) {
	env.Require(t)
	isolate(t)
	sim := awssim.StartT(t, strings.NewReplacer("SSMVALUE", `"a-long-enough-secret"`, "SMVALUE", `"x"`,
		`arn:aws:ssm:eu-west-1:111122223333:parameter/kaji/*`, `arn:aws:ssm:eu-west-1:111122223333:parameter/other/*`).Replace(secretsWorld))
	sim.SetEnv(t, "AKIADEPLOYER00000001", "eu-west-1")
	chart, err := filepath.Abs("testdata/secrets/charts/sentinel")
	if err != nil {
		t.Fatal(err)
	}
	flags, ns, _ := planProject(t, "denied", `
releases:
  - name: db
    namespace: NS1
    chart: `+chart+`
    values:
      password: ref+awsssm:///kaji/db/password
`)
	for _, args := range [][]string{{"plan"}, {"apply", "--yes"}} {
		cmd := args[0]
		r := kaji(t, "", false, append(args, flags...)...)
		text := r.out + r.err
		if testing.Verbose() {
			t.Logf("%s:\n%s", cmd, text)
		}
		if r.code == cli.ExitOK || !strings.Contains(text, "ref+awsssm:///kaji/db/password") || !strings.Contains(text, "AccessDenied") ||
			!strings.Contains(text, "ssm:GetParameters") || strings.Contains(text, "a-long-enough-secret") {
			t.Errorf("%s: exit %d; want a failure naming the reference, AccessDenied and ssm:GetParameters, not the value:\n%s", cmd, r.code, text)
		}
	}
	if _, err := env.Client.CoreV1().Secrets(ns).Get(t.Context(), "db", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the release was applied, or its Secret cannot be read: %v", err)
	}
}
