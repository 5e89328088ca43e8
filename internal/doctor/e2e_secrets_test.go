package doctor_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/doctor"
	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/secrets"
)

// s9Values are the settings release's values: its two settings from SSM, one of them under a
// customer managed key, and a token from Secrets Manager.
const s9Values = `environment: ref+awsssm:///s9/environment
logLevel: ref+awsssm:///s9/log-level
api:
  token: ref+awssecrets://s9/api#/token
`

// Scenario 9: kaji reads the references of kaji.yaml as the deployer role, which lacks
// secretsmanager:GetSecretValue. Apply fails; doctor names the reference and prints a policy
// that, attached to the role instead of its own, makes doctor pass, the references resolve
// and apply succeed.
func TestE2ESecretsMissingGetSecretValue(t *testing.T) {
	w := e2e(t)
	w.useSim(t)
	ns := w.namespace(t, "s9-secrets")
	const cmk = "9d1c7e3a-0000-4000-8000-000000000009"
	cmkARN := "arn:aws:kms:eu-west-1:111122223333:key/" + cmk
	for _, p := range []awssim.Parameter{
		{Account: "111122223333", Region: region, Name: "/s9/environment", Value: "production-s9"},
		{Account: "111122223333", Region: region, Name: "/s9/log-level", Type: awssim.ParamSecureString, KeyID: cmk, Value: "debug-level-s9"},
	} {
		if err := w.sim.PutParameter(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.sim.PutSecret(awssim.Secret{Account: "111122223333", Region: region, Name: "s9/api",
		Versions: []awssim.SecretVersion{{Stages: []string{"AWSCURRENT"}, SecretString: `{"token":"sentinel-s9-token"}`}}}); err != nil {
		t.Fatal(err)
	}
	file := writeKajiValues(t, "s9", ns, s9Values)
	setPolicies := w.rolePolicies(t)
	describe := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ssm:DescribeParameters", "secretsmanager:DescribeSecret"], "Resource": "*"}]}`

	// Allowed everything: the check passes, and found the customer managed key.
	setPolicies(map[string]string{"describe": describe, "read-all": `{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Action": ["ssm:GetParameters", "secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": "*"}]}`})
	rep := doctorJSON(t, 0, file)
	f := finding(t, rep, "secrets", doctor.OK)
	if !strings.Contains(strings.Join(f.Evidence, "\n"), "parameter /s9/log-level is encrypted with the customer managed KMS key "+cmkARN) {
		t.Errorf("evidence: %q", f.Evidence)
	}

	// Everything but secretsmanager:GetSecretValue.
	setPolicies(map[string]string{"describe": describe, "read-some": `{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Action": ["ssm:GetParameters", "kms:Decrypt"], "Resource": "*"}]}`})
	applyFails(t, file, "ref+awssecrets://s9/api#/token", "secretsmanager:GetSecretValue")
	text := doctorRun(t, file)
	if text.code != 1 {
		t.Fatalf("doctor: %s", text)
	}
	golden(t, "secrets-missing", text.out)
	for _, value := range []string{"production-s9", "debug-level-s9", "sentinel-s9-token"} {
		if strings.Contains(text.out+text.err, value) {
			t.Errorf("doctor printed the value of a reference (%s)", value)
		}
	}
	rep = doctorJSON(t, 1, file)
	wantStatuses(t, rep, map[string]doctor.Status{
		"aws-identity": doctor.OK, "role-trust": doctor.OK, "cluster": doctor.OK, "who-am-i": doctor.OK, "rbac": doctor.OK, "secrets": doctor.Fail,
	})
	f = finding(t, rep, "secrets", doctor.Fail)
	if want := "1 of the 3 reference(s) lack permissions: secretsmanager:GetSecretValue for ref+awssecrets://s9/api#/token"; f.Summary != want {
		t.Errorf("summary:\n got %s\nwant %s", f.Summary, want)
	}
	if f.Fix == nil || f.Fix.Snippet == nil || len(f.Fix.Commands) != 1 ||
		f.Fix.Commands[0] != "aws iam put-role-policy --role-name kaji-deployer --policy-name kaji-secrets --policy-document file://kaji-secrets.json" {
		t.Fatalf("fix = %+v", f.Fix)
	}

	// The printed policy alone, in place of read-some.
	setPolicies(map[string]string{"describe": describe, "kaji-secrets": f.Fix.Snippet.Text})
	finding(t, doctorJSON(t, 0, file), "secrets", doctor.OK)
	base, err := config.LoadDefaultConfig(ctxT(t), config.WithRegion(region))
	if err != nil {
		t.Fatal(err)
	}
	asRole, err := eks.AssumeRole(ctxT(t), base, eks.Role{ARN: deployerARN, SessionName: "kaji-e2e-user", ExternalID: "kaji-e2e"})
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := json.Unmarshal([]byte(`{"environment": "ref+awsssm:///s9/environment", "logLevel": "ref+awsssm:///s9/log-level", "api": {"token": "ref+awssecrets://s9/api#/token"}}`), &values); err != nil {
		t.Fatal(err)
	}
	got, err := secrets.NewResolver(asRole, secrets.Options{}).Resolve(ctxT(t), values)
	if err != nil {
		t.Fatalf("resolve as the role with the printed policy: %v", err)
	}
	if want := map[string]any{"environment": "production-s9", "logLevel": "debug-level-s9", "api": map[string]any{"token": "sentinel-s9-token"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("resolved %v", got)
	}
	applySucceeds(t, file)
	cm, err := w.env.Client.CoreV1().ConfigMaps(ns).Get(ctxT(t), "platform-settings", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["ENVIRONMENT"] != "production-s9" || cm.Data["LOG_LEVEL"] != "debug-level-s9" {
		t.Errorf("the applied ConfigMap holds %v", cm.Data)
	}
}

// writeKajiValues writes a kaji.yaml with cluster.eks and one release of the settings chart
// with inline values (YAML).
func writeKajiValues(t *testing.T, project, namespace, values string) kajiFile {
	t.Helper()
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kaji.dev/v1alpha1\nproject: %s\ncluster:\n%s\nreleases:\n", project, eksCluster)
	fmt.Fprintf(&b, "  - name: settings\n    namespace: %s\n    chart: %s\n    createNamespace: false\n    values:\n", namespace, filepath.Join(charts, "settings"))
	for _, line := range strings.Split(strings.TrimRight(values, "\n"), "\n") {
		b.WriteString("      " + line + "\n")
	}
	path := filepath.Join(t.TempDir(), "kaji.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return kajiFile{path: path, lock: namespace}
}

// rolePolicies returns a function that sets the deployer role's policies to its own ones and
// extra (name → JSON document), each call starting again from its own ones, which are back when
// the test ends.
func (w *world) rolePolicies(t *testing.T) func(extra map[string]string) {
	t.Helper()
	var own []awssim.Policy
	if err := w.sim.UpdateRole(deployerARN, func(r *awssim.Role) { own = slices.Clone(r.Policies) }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.sim.UpdateRole(deployerARN, func(r *awssim.Role) { r.Policies = own }); err != nil {
			t.Error(err)
		}
	})
	return func(extra map[string]string) {
		t.Helper()
		policies := slices.Clone(own)
		for _, name := range slices.Sorted(maps.Keys(extra)) {
			var doc awssim.PolicyDocument
			if err := json.Unmarshal([]byte(extra[name]), &doc); err != nil {
				t.Fatalf("policy %s: %v\n%s", name, err, extra[name])
			}
			policies = append(policies, awssim.Policy{Name: name, Document: doc})
		}
		if err := w.sim.UpdateRole(deployerARN, func(r *awssim.Role) { r.Policies = policies }); err != nil {
			t.Fatal(err)
		}
	}
}
