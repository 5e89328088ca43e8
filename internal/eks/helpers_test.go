package eks_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/spec"
)

// Fixture facts of ../awssim/testdata/fixture.yaml.
const (
	fixturePath = "../awssim/testdata/fixture.yaml"
	aliceKey    = "AKIAALICE00000000001"
	bobKey      = "AKIABOB0000000000001"
	deployerARN = "arn:aws:iam::111122223333:role/platform/kaji-deployer"
	externalID  = "kaji-e2e"
	region      = "eu-west-1"
)

// deployer is the kaji.yaml cluster.eks that reaches prod through kaji-deployer.
func deployer() spec.EKS {
	return spec.EKS{Name: "prod", Region: region, RoleARN: deployerARN, ExternalID: externalID, SessionName: "kaji-e2e-user"}
}

func startSim(t *testing.T, opts ...awssim.Option) *awssim.Server {
	t.Helper()
	return awssim.StartFileT(t, fixturePath, opts...)
}

// useSim points the AWS SDK at sim through the environment, as the CLI is run in
// end-to-end tests, with the access key keyID ("" for no credentials at all).
func useSim(t *testing.T, sim *awssim.Server, keyID string) {
	t.Helper()
	env, err := sim.Env(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	awssim.ClearAmbientEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	if keyID != "" {
		creds, err := sim.CredentialsEnv(keyID)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range creds {
			env[k] = v
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// connectErr asserts err is an *eks.Error of step and kind whose message ends with the
// doctor hint.
func connectErr(t *testing.T, err error, step eks.Step, kind eks.Kind) *eks.Error {
	t.Helper()
	var ee *eks.Error
	if !errors.As(err, &ee) {
		t.Fatalf("error = %v, want an *eks.Error", err)
	}
	if ee.Step != step || ee.Kind != kind {
		t.Fatalf("step %s kind %s, want %s %s: %v", ee.Step, ee.Kind, step, kind, err)
	}
	if !strings.HasSuffix(err.Error(), "run `kaji doctor` to find the broken link") {
		t.Errorf("message does not end with the doctor hint: %v", err)
	}
	return ee
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
