package doctor_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/doctor"
	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/spec"
)

// Facts of testdata/secrets-fixture.yaml.
const (
	secretsFixture = "testdata/secrets-fixture.yaml"
	daveKey        = "AKIADAVE000000000001"
	bobKey         = "AKIABOB0000000000001"
	daveARN        = "arn:aws:iam::111122223333:user/dave"
	cmkARN         = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	sopsKeyARN     = "arn:aws:kms:eu-west-1:111122223333:key/5d3c4a5e-0000-4000-8000-000000000001"
)

// appValues references every parameter and secret of the fixture, and wantResolved is what
// they resolve to.
const appValues = `greeting: ref+awsssm://app/greeting
far: ref+awsssm://app/region?region=us-east-1
token: ref+awssecrets://app/token
db:
  password: ref+awsssm:///app/db/password
  cmk: ref+awsssm:///app/db/cmk
  user: ref+awssecrets://app/db#/username
`

var wantResolved = map[string]any{
	"greeting": "hello-world", "far": "hello-us-east-1", "token": "sentinel-sm-token",
	"db": map[string]any{"password": "sentinel-ssm-managed", "cmk": "sentinel-ssm-cmk", "user": "sentinel-sm-user"},
}

// startSecretsSim starts a simulator on the secrets fixture and points the AWS SDK's default
// chain at it, signing with key.
func startSecretsSim(t *testing.T, key string) *awssim.Server {
	t.Helper()
	sim := awssim.StartFileT(t, secretsFixture)
	env, err := sim.Env(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	awssim.ClearAmbientEnv(t)
	t.Setenv("KUBECONFIG", "")
	env["AWS_REGION"] = region
	env["AWS_MAX_ATTEMPTS"] = "1"
	for k, v := range env {
		t.Setenv(k, v)
	}
	signAs(t, sim, key)
	return sim
}

// signAs makes the default chain sign as a fixture key; "" leaves it without credentials.
func signAs(t *testing.T, sim *awssim.Server, key string) {
	t.Helper()
	if key == "" {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		return
	}
	creds, err := sim.CredentialsEnv(key)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range creds {
		t.Setenv(k, v)
	}
}

// kubeconfigProject writes a kaji.yaml whose cluster comes from a kubeconfig, with one release
// of inline values (YAML) and values files (name → content), and resolves it.
func kubeconfigProject(t *testing.T, values string, files map[string]string) *spec.Resolved {
	t.Helper()
	dir := t.TempDir()
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kaji.dev/v1alpha1\nproject: secrets\ncluster:\n  kubeconfig: %s\nreleases:\n", filepath.Join(dir, "kubeconfig"))
	fmt.Fprintf(&b, "  - name: api\n    namespace: apps\n    chart: %s\n", filepath.Join(charts, "settings"))
	if len(files) > 0 {
		b.WriteString("    valuesFiles:\n")
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "      - %s\n", name)
		}
	}
	if values != "" {
		b.WriteString("    values:\n")
		for _, line := range strings.Split(strings.TrimRight(values, "\n"), "\n") {
			b.WriteString("      " + line + "\n")
		}
	}
	path := filepath.Join(dir, "kaji.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := spec.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := doc.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// secretsOf runs doctor on res and returns its secrets finding, checking that nothing it
// says quotes a value.
func secretsOf(t *testing.T, res *spec.Resolved) doctor.Finding {
	t.Helper()
	rep := doctor.New(doctor.Options{}).Run(ctxT(t), doctor.Target{Resolved: res})
	f, ok := rep.Finding("secrets")
	if !ok {
		t.Fatal("no secrets finding")
	}
	text, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(text), "sentinel") || strings.Contains(string(text), "hello-") {
		t.Errorf("the finding quotes a secret value:\n%s", text)
	}
	return f
}

func wantStatus(t *testing.T, f doctor.Finding, want doctor.Status) {
	t.Helper()
	if f.Status != want {
		t.Fatalf("status %s, want %s: %s\nevidence:\n  %s\nfix: %+v", f.Status, want, f.Summary, strings.Join(f.Evidence, "\n  "), f.Fix)
	}
}

func wantEvidence(t *testing.T, f doctor.Finding, lines ...string) {
	t.Helper()
	all := strings.Join(f.Evidence, "\n")
	for _, l := range lines {
		if !strings.Contains(all, l) {
			t.Errorf("evidence lacks %q:\n%s", l, all)
		}
	}
}

// TestSecretsAllowed: alice, the ambient identity, may read everything; the customer managed
// keys of a parameter and a secret are found with the describe calls and checked too.
func TestSecretsAllowed(t *testing.T) {
	startSecretsSim(t, aliceKey)
	f := secretsOf(t, kubeconfigProject(t, appValues, nil))
	wantStatus(t, f, doctor.OK)
	wantEvidence(t, f,
		"read as you ("+aliceARN+", the AWS default credential chain)",
		"ref+awsssm://app/greeting (release api: greeting): ssm:GetParameters on arn:aws:ssm:eu-west-1:111122223333:parameter/app/greeting: allowed",
		"ref+awsssm://app/region?region=us-east-1 (release api: far): ssm:GetParameters on arn:aws:ssm:us-east-1:111122223333:parameter/app/region: allowed",
		"ref+awssecrets://app/db#/username (release api: db.user): secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-??????: allowed",
		"ref+awsssm:///app/db/cmk (release api: db.cmk): kms:Decrypt on "+cmkARN+": allowed",
		"ref+awssecrets://app/db#/username (release api: db.user): kms:Decrypt on "+cmkARN+": allowed",
		"parameter /app/db/cmk is encrypted with the customer managed KMS key "+cmkARN,
		"secretsmanager:BatchGetSecretValue: not allowed, kaji reads secret by secret",
	)
	if f.Fix != nil {
		t.Errorf("a fix for an ok finding: %+v", f.Fix)
	}
}

// TestSecretsDeniedThenFixed: dave may describe and simulate but read nothing. doctor fails
// with every permission missing and prints a policy; attached to dave in the simulator, it
// makes doctor pass and the references resolve.
func TestSecretsDeniedThenFixed(t *testing.T) {
	sim := startSecretsSim(t, daveKey)
	res := kubeconfigProject(t, appValues, nil)
	f := secretsOf(t, res)
	wantStatus(t, f, doctor.Fail)
	if !strings.HasPrefix(f.Summary, "6 of the 6 reference(s) lack permissions: ssm:GetParameters for ") || !strings.HasSuffix(f.Summary, "; kms:Decrypt for ref+awssecrets://app/db#/username, ref+awsssm:///app/db/cmk") {
		t.Errorf("summary = %q", f.Summary)
	}
	wantEvidence(t, f, "ref+awssecrets://app/token (release api: token): secretsmanager:GetSecretValue on arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/token-??????: denied: implicitDeny")
	if f.Fix == nil || f.Fix.Snippet == nil || len(f.Fix.Commands) != 1 ||
		f.Fix.Commands[0] != "aws iam put-user-policy --user-name dave --policy-name kaji-secrets --policy-document file://kaji-secrets.json" {
		t.Fatalf("fix = %+v", f.Fix)
	}
	for _, want := range []string{`"Sid": "KajiReadsParameters"`, `"Sid": "KajiReadsSecrets"`, `"Sid": "KajiDecrypts"`, cmkARN,
		"arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db-??????", "arn:aws:ssm:us-east-1:111122223333:parameter/app/region"} {
		if !strings.Contains(f.Fix.Snippet.Text, want) {
			t.Errorf("policy lacks %s:\n%s", want, f.Fix.Snippet.Text)
		}
	}

	// Before the fix, resolving fails as doctor said; after it, it succeeds.
	cfg, err := config.LoadDefaultConfig(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.NewResolver(cfg, secrets.Options{}).Resolve(ctxT(t), valuesOf(t, appValues)); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("resolve before the fix: %v", err)
	}
	attachUserPolicy(t, sim, daveARN, "kaji-secrets", f.Fix.Snippet.Text)
	wantStatus(t, secretsOf(t, res), doctor.OK)
	got, err := secrets.NewResolver(cfg, secrets.Options{}).Resolve(ctxT(t), valuesOf(t, appValues))
	if err != nil {
		t.Fatalf("resolve after the fix: %v", err)
	}
	if !reflect.DeepEqual(got, wantResolved) {
		t.Errorf("resolved %v", got)
	}
}

// TestSecretsMissingGetSecretValue: with everything but secretsmanager:GetSecretValue, doctor
// names the secret references and nothing else.
func TestSecretsMissingGetSecretValue(t *testing.T) {
	sim := startSecretsSim(t, daveKey)
	attachUserPolicy(t, sim, daveARN, "some", `{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": "arn:aws:ssm:*:111122223333:parameter/app/*"},
		{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "`+cmkARN+`"}]}`)
	f := secretsOf(t, kubeconfigProject(t, appValues, nil))
	wantStatus(t, f, doctor.Fail)
	want := "2 of the 6 reference(s) lack permissions: secretsmanager:GetSecretValue for ref+awssecrets://app/db#/username, ref+awssecrets://app/token"
	if f.Summary != want {
		t.Errorf("summary:\n got %s\nwant %s", f.Summary, want)
	}
	wantEvidence(t, f, "ref+awsssm://app/greeting (release api: greeting): ssm:GetParameters on arn:aws:ssm:eu-west-1:111122223333:parameter/app/greeting: allowed")
}

// TestSecretsCannotSimulate: bob may not even simulate his own policies: the finding is
// unknown, not failed, and still gives the policy.
func TestSecretsCannotSimulate(t *testing.T) {
	startSecretsSim(t, bobKey)
	f := secretsOf(t, kubeconfigProject(t, appValues, nil))
	wantStatus(t, f, doctor.Unknown)
	if !strings.Contains(f.Summary, "iam:SimulatePrincipalPolicy: AccessDenied") {
		t.Errorf("summary = %q", f.Summary)
	}
	wantEvidence(t, f, "ssm:DescribeParameters, which tells the key, failed: AccessDeniedException")
	if f.Fix == nil || f.Fix.Snippet == nil || !strings.Contains(f.Fix.Snippet.Text, "arn:aws:ssm:eu-west-1:111122223333:parameter/app/db/cmk") ||
		!strings.Contains(f.Fix.Summary, "needs kms:Decrypt on that key too, which doctor could not tell") {
		t.Fatalf("fix = %+v", f.Fix)
	}
}

// TestSecretsNothingToRead: without references or SOPS KMS keys the check is skipped and
// makes no AWS request, credentials or not.
func TestSecretsNothingToRead(t *testing.T) {
	sim := startSecretsSim(t, "")
	f := secretsOf(t, kubeconfigProject(t, "greeting: hello\nnote: ref+ is not a reference here\n", nil))
	wantStatus(t, f, doctor.Skipped)
	if calls := sim.Calls(); len(calls) != 0 {
		t.Errorf("AWS calls: %+v", calls)
	}
}

// TestSecretsNoCredentials: references and no credentials: plan and apply will fail to read
// them, and doctor says so.
func TestSecretsNoCredentials(t *testing.T) {
	startSecretsSim(t, "")
	f := secretsOf(t, kubeconfigProject(t, appValues, nil))
	wantStatus(t, f, doctor.Fail)
	if !strings.Contains(f.Summary, "6 reference(s) to secrets in AWS, but there are no AWS credentials") || !strings.Contains(f.Fix.Summary, "kaji plan and apply read them with the AWS default credential chain") {
		t.Errorf("finding = %s; fix %+v", f.Summary, f.Fix)
	}
}

// TestSecretsThatCannotBeRead: a parameter and a secret that do not exist, and a reference
// without a region when kaji has none, fail whatever the policies.
func TestSecretsThatCannotBeRead(t *testing.T) {
	startSecretsSim(t, aliceKey)
	res := kubeconfigProject(t, "a: ref+awsssm://app/nope\nb: ref+awssecrets://app/nope\nc: ref+awsssm://app/greeting\n", nil)
	f := secretsOf(t, res)
	wantStatus(t, f, doctor.Fail)
	wantEvidence(t, f, "ref+awsssm://app/nope: there is no parameter /app/nope in eu-west-1 (ssm:DescribeParameters)",
		"ref+awssecrets://app/nope: there is no secret app/nope in eu-west-1 (secretsmanager:DescribeSecret)")

	t.Setenv("AWS_REGION", "")
	f = secretsOf(t, res)
	wantStatus(t, f, doctor.Fail)
	wantEvidence(t, f, "ref+awsssm://app/greeting: no AWS region: add ?region=R to the reference")
}

// A SOPS file whose data key an AWS KMS key holds, with age too when withAge.
func sopsFile(arn, role string, withAge bool) string {
	var b strings.Builder
	b.WriteString("password: ENC[AES256_GCM,data:Zm9vYmFy,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\nsops:\n    kms:\n")
	fmt.Fprintf(&b, "        - arn: %s\n          enc: AQICAHhub3QtYS1yZWFsLWNpcGhlcnRleHQ=\n", arn)
	if role != "" {
		fmt.Fprintf(&b, "          role: %s\n", role)
	}
	if withAge {
		b.WriteString("    age:\n        - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n          enc: bm90LWEtcmVhbC1zdGFuemE=\n")
	}
	b.WriteString("    lastmodified: \"2026-12-01T00:00:00Z\"\n    mac: ENC[AES256_GCM,data:bWFj,iv:AAAAAAAAAAAAAAAAAAAAAA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]\n    version: 3.9.1\n")
	return b.String()
}

// TestSecretsSOPSKeys: the KMS key of a SOPS file needs kms:Decrypt for whoever decrypts it:
// the ambient identity, or the role the key names.
func TestSecretsSOPSKeys(t *testing.T) {
	startSecretsSim(t, aliceKey)
	cases := []struct {
		name, role string
		withAge    bool
		want       doctor.Status
		evidence   string
	}{
		{name: "only a KMS key, alice may not use it", want: doctor.Fail,
			evidence: "SOPS file db.sops.yaml (release api): kms:Decrypt on " + sopsKeyARN + ": denied: implicitDeny"},
		{name: "an age key can stand in", withAge: true, want: doctor.Warn,
			evidence: "SOPS file db.sops.yaml (release api): kms:Decrypt on " + sopsKeyARN + ": denied: implicitDeny"},
		{name: "through the key's role", role: "arn:aws:iam::111122223333:role/sops-reader", want: doctor.OK,
			evidence: "read as the role arn:aws:iam::111122223333:role/sops-reader (the role of the SOPS key)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := kubeconfigProject(t, "", map[string]string{"db.sops.yaml": sopsFile(sopsKeyARN, c.role, c.withAge)})
			f := secretsOf(t, res)
			wantStatus(t, f, c.want)
			wantEvidence(t, f, c.evidence, "1 SOPS file(s): doctor reads their keys, not their values")
			if c.want == doctor.Fail && (f.Fix == nil || !strings.Contains(f.Fix.Snippet.Text, sopsKeyARN) ||
				f.Fix.Commands[0] != "aws iam put-user-policy --user-name alice --policy-name kaji-sops-keys --policy-document file://kaji-sops-keys.json") {
				t.Errorf("fix = %+v", f.Fix)
			}
		})
	}
}

// attachUserPolicy adds an inline policy to a user of the simulator, as put-user-policy would.
func attachUserPolicy(t *testing.T, sim *awssim.Server, arn, name, document string) {
	t.Helper()
	var doc awssim.PolicyDocument
	if err := json.Unmarshal([]byte(document), &doc); err != nil {
		t.Fatalf("policy %s: %v\n%s", name, err, document)
	}
	if err := sim.UpdateUser(arn, func(u *awssim.User) { u.Policies = append(u.Policies, awssim.Policy{Name: name, Document: doc}) }); err != nil {
		t.Fatal(err)
	}
}

// valuesOf decodes inline values as kaji.yaml holds them.
func valuesOf(t *testing.T, text string) map[string]any {
	t.Helper()
	res := kubeconfigProject(t, text, nil)
	return res.Releases[0].Values[0].Inline
}

// eksProject writes a kaji.yaml with cluster.eks through the deployer role of the shared
// fixture, with inline values and values files, and resolves it.
func eksProject(t *testing.T, values string, files map[string]string) *spec.Resolved {
	t.Helper()
	res := kubeconfigProject(t, values, files)
	res.Cluster = spec.Cluster{EKS: &spec.EKS{Name: "prod", Region: region, RoleARN: deployerARN, ExternalID: "kaji-e2e", SessionName: "kaji-e2e-user"}}
	return res
}

// TestSecretsEKSRole: with cluster.eks.roleArn, references are read as the role and SOPS data
// keys as the caller; each gets its own policy. Without credentials, the role's policy is
// still given, in the role's account.
func TestSecretsEKSRole(t *testing.T) {
	fx, err := awssim.LoadFixture(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	fx.Parameters = append(fx.Parameters, awssim.Parameter{Account: "111122223333", Region: region, Name: "/app/greeting", Value: "hello-world"})
	sim, err := awssim.Start(fx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	w := &world{sim: sim}
	w.useSim(t)
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	res := eksProject(t, "greeting: ref+awsssm://app/greeting\n", map[string]string{"db.sops.yaml": sopsFile(sopsKeyARN, "", false)})

	f := secretsOf(t, res)
	wantStatus(t, f, doctor.Fail)
	wantEvidence(t, f,
		"read as the role "+deployerARN+" (cluster.eks.roleArn)",
		"ref+awsssm://app/greeting (release api: greeting): ssm:GetParameters on arn:aws:ssm:eu-west-1:111122223333:parameter/app/greeting: denied: implicitDeny",
		"read as you ("+aliceARN+"): SOPS decrypts with your own credentials, not cluster.eks.roleArn",
		"SOPS file db.sops.yaml (release api): kms:Decrypt on "+sopsKeyARN+": denied: implicitDeny")
	if f.Fix == nil || f.Fix.Snippet == nil || len(f.Fix.Commands) != 2 ||
		f.Fix.Commands[0] != "aws iam put-role-policy --role-name kaji-deployer --policy-name kaji-secrets --policy-document file://kaji-secrets.json" ||
		!strings.HasPrefix(f.Fix.Commands[1], `aws iam put-user-policy --user-name alice --policy-name kaji-sops-keys --policy-document '{"Version":"2012-10-17","Statement":[{"Sid":"KajiDecrypts"`) {
		t.Fatalf("fix = %+v", f.Fix)
	}
	if strings.Contains(f.Fix.Snippet.Text, sopsKeyARN) {
		t.Errorf("the role's policy allows the SOPS key, which the role never uses:\n%s", f.Fix.Snippet.Text)
	}

	// The role's policy, attached, settles the references; the SOPS key still fails.
	var doc awssim.PolicyDocument
	if err := json.Unmarshal([]byte(f.Fix.Snippet.Text), &doc); err != nil {
		t.Fatal(err)
	}
	if err := sim.UpdateRole(deployerARN, func(r *awssim.Role) {
		r.Policies = append(r.Policies, awssim.Policy{Name: "kaji-secrets", Document: doc})
	}); err != nil {
		t.Fatal(err)
	}
	f = secretsOf(t, res)
	wantStatus(t, f, doctor.Fail)
	if f.Summary != "1 of the 1 reference(s) and SOPS KMS key(s) of 1 file(s) lack permissions: kms:Decrypt for SOPS file db.sops.yaml" {
		t.Errorf("summary = %q", f.Summary)
	}

	signAs(t, sim, "")
	f = secretsOf(t, res)
	wantStatus(t, f, doctor.Unknown)
	if !strings.Contains(f.Summary, "no usable AWS credentials (see aws-identity)") || f.Fix == nil || f.Fix.Snippet == nil ||
		!strings.Contains(f.Fix.Snippet.Text, "arn:aws:ssm:eu-west-1:111122223333:parameter/app/greeting") {
		t.Fatalf("finding = %s; fix %+v", f.Summary, f.Fix)
	}
}
