package doctor_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"kaji.dev/kaji/internal/doctor"
	"kaji.dev/kaji/internal/secrets/secretstest"
)

// TestSecretsPolicyAcceptedByMoto: moto_server, an AWS emulator kaji does not control, takes
// the policy doctor prints as an IAM policy document (iam:CreatePolicy validates it), and
// refuses the same document with an action spelled wrong, so that its check is a real one.
func TestSecretsPolicyAcceptedByMoto(t *testing.T) {
	startSecretsSim(t, daveKey)
	f := secretsOf(t, kubeconfigProject(t, appValues, map[string]string{"db.sops.yaml": sopsFile(sopsKeyARN, "", false)}))
	wantStatus(t, f, doctor.Fail)
	if f.Fix == nil || f.Fix.Snippet == nil || len(f.Fix.Commands) != 1 {
		t.Fatalf("fix = %+v", f.Fix)
	}
	policy := f.Fix.Snippet.Text
	if !strings.Contains(policy, sopsKeyARN) {
		t.Fatalf("the policy lacks the SOPS file's key, which dave decrypts with too:\n%s", policy)
	}
	for _, sid := range []string{"KajiReadsParameters", "KajiReadsSecrets", "KajiDecrypts"} {
		if !strings.Contains(policy, sid) {
			t.Fatalf("the policy lacks the statement %s:\n%s", sid, policy)
		}
	}

	m := secretstest.StartMoto(t)
	client := iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAMOTO000000000001", "moto-secret", ""),
		BaseEndpoint: aws.String(m.Endpoint),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	})
	out, err := client.CreatePolicy(ctxT(t), &iam.CreatePolicyInput{PolicyName: aws.String("kaji-secrets"), PolicyDocument: aws.String(policy)})
	if err != nil {
		t.Fatalf("moto refuses the policy doctor prints: %v\n%s", err, policy)
	}
	if !strings.HasSuffix(aws.ToString(out.Policy.Arn), ":policy/kaji-secrets") {
		t.Errorf("policy ARN %s", aws.ToString(out.Policy.Arn))
	}
	broken := strings.Replace(policy, `"ssm:GetParameters"`, `"ssm GetParameters"`, 1)
	if broken == policy {
		t.Fatal("the policy has no ssm:GetParameters action to spell wrong")
	}
	if _, err := client.CreatePolicy(ctxT(t), &iam.CreatePolicyInput{PolicyName: aws.String("broken"), PolicyDocument: aws.String(broken)}); err == nil {
		t.Fatal("moto accepts a policy whose action has no service prefix: it does not validate documents")
	}
}
