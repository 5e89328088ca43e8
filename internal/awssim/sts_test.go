package awssim

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestGetCallerIdentity(t *testing.T) {
	sim := startSim(t)
	out, err := sts.NewFromConfig(sdkConfig(t, sim, bobKey)).GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.Arn); got != "arn:aws:iam::111122223333:user/contractors/bob" {
		t.Errorf("Arn = %s", got)
	}
	if got := aws.ToString(out.Account); got != "111122223333" {
		t.Errorf("Account = %s", got)
	}
	if got := aws.ToString(out.UserId); !strings.HasPrefix(got, "AIDA") || strings.Contains(got, ":") {
		t.Errorf("UserId = %s, want AIDA...", got)
	}
}

func TestAssumeRole(t *testing.T) {
	sim := startSim(t)
	for _, c := range []struct {
		name, key, role, externalID string
		wantCode                    string
		wantARN                     string
		wantDetail                  string
	}{
		{name: "trusted by ARN with external id", key: aliceKey, role: "arn:aws:iam::111122223333:role/platform/kaji-deployer", externalID: "kaji-e2e",
			wantARN: "arn:aws:sts::111122223333:assumed-role/kaji-deployer/test"},
		{name: "wrong external id", key: aliceKey, role: "arn:aws:iam::111122223333:role/platform/kaji-deployer", externalID: "kaji-other",
			wantCode: "AccessDenied", wantDetail: "trust policy: implicitDeny"},
		{name: "no external id", key: aliceKey, role: "arn:aws:iam::111122223333:role/platform/kaji-deployer",
			wantCode: "AccessDenied", wantDetail: "trust policy: implicitDeny"},
		{name: "role ARN without its path", key: aliceKey, role: "arn:aws:iam::111122223333:role/kaji-deployer", externalID: "kaji-e2e",
			wantCode: "AccessDenied", wantDetail: "no role with this ARN"},
		{name: "trust policy names someone else", key: aliceKey, role: "arn:aws:iam::111122223333:role/locked",
			wantCode: "AccessDenied", wantDetail: "trust policy: implicitDeny"},
		{name: "account trust and identity allow", key: aliceKey, role: "arn:aws:iam::111122223333:role/kaji-readonly",
			wantARN: "arn:aws:sts::111122223333:assumed-role/kaji-readonly/test"},
		{name: "account trust without identity allow", key: bobKey, role: "arn:aws:iam::111122223333:role/kaji-readonly",
			wantCode: "AccessDenied", wantDetail: "trust policy: delegatedToAccount"},
		{name: "cross-account", key: ciKey, role: "arn:aws:iam::111122223333:role/ci/kaji-ci",
			wantARN: "arn:aws:sts::111122223333:assumed-role/kaji-ci/test"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := &sts.AssumeRoleInput{RoleArn: aws.String(c.role), RoleSessionName: aws.String("test")}
			if c.externalID != "" {
				in.ExternalId = aws.String(c.externalID)
			}
			before := len(sim.Calls())
			out, err := sts.NewFromConfig(sdkConfig(t, sim, c.key)).AssumeRole(ctxT(t), in)
			if c.wantCode != "" {
				if code := apiCode(err); code != c.wantCode {
					t.Fatalf("error = %v, want code %s", err, c.wantCode)
				}
				calls := sim.Calls()[before:]
				if len(calls) != 1 || !strings.Contains(calls[0].Detail, c.wantDetail) {
					t.Errorf("calls = %+v, want one whose detail has %q", calls, c.wantDetail)
				}
				if !strings.Contains(err.Error(), "is not authorized to perform: sts:AssumeRole on resource: "+c.role) {
					t.Errorf("message = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(out.AssumedRoleUser.Arn); got != c.wantARN {
				t.Errorf("AssumedRoleUser.Arn = %s, want %s", got, c.wantARN)
			}
			creds := out.Credentials
			if !strings.HasPrefix(aws.ToString(creds.AccessKeyId), "ASIA") || aws.ToString(creds.SessionToken) == "" {
				t.Errorf("credentials = %s / token %d bytes", aws.ToString(creds.AccessKeyId), len(aws.ToString(creds.SessionToken)))
			}
			if d := time.Until(aws.ToTime(creds.Expiration)); d < 59*time.Minute || d > 61*time.Minute {
				t.Errorf("expires in %v, want 1h", d)
			}
			// The session's keys are recognized as the assumed role.
			session := configWith(sim, credentials.NewStaticCredentialsProvider(*creds.AccessKeyId, *creds.SecretAccessKey, *creds.SessionToken))
			who, err := sts.NewFromConfig(session).GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(who.Arn) != c.wantARN || !strings.HasSuffix(aws.ToString(who.UserId), ":test") {
				t.Errorf("caller = %s (%s), want %s", aws.ToString(who.Arn), aws.ToString(who.UserId), c.wantARN)
			}
		})
	}
}

func TestAssumeRoleValidation(t *testing.T) {
	sim := startSim(t)
	client := sts.NewFromConfig(sdkConfig(t, sim, aliceKey))
	_, err := client.AssumeRole(ctxT(t), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111122223333:role/kaji-readonly"), RoleSessionName: aws.String("bad name!"),
	})
	if apiCode(err) != "ValidationError" || !strings.Contains(err.Error(), "roleSessionName") {
		t.Errorf("bad session name: %v", err)
	}
	_, err = client.AssumeRole(ctxT(t), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111122223333:role/kaji-readonly"), RoleSessionName: aws.String("ok"),
		DurationSeconds: aws.Int32(7200),
	})
	if apiCode(err) != "ValidationError" || !strings.Contains(err.Error(), "MaxSessionDuration") {
		t.Errorf("long session: %v", err)
	}
}

func TestSignatureErrors(t *testing.T) {
	clock := NewManualClock(time.Now())
	sim := startSim(t, WithClock(clock.Now))
	ctx := ctxT(t)
	call := func(creds aws.CredentialsProvider) error {
		_, err := sts.NewFromConfig(configWith(sim, creds)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		return err
	}
	if err := call(credentials.NewStaticCredentialsProvider(aliceKey, "wrong-secret", "")); apiCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("wrong secret: %v", err)
	}
	if err := call(credentials.NewStaticCredentialsProvider("AKIANOTINFIXTURE0001", "x", "")); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("unknown key: %v", err)
	}
	if err := call(credentials.NewStaticCredentialsProvider(aliceKey, "alice-secret-key-0000000000000000000001", "a-token")); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("long-term key with a session token: %v", err)
	}

	out, err := sts.NewFromConfig(sdkConfig(t, sim, aliceKey)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::111122223333:role/kaji-readonly"), RoleSessionName: aws.String("s" + "1"),
		DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if err := call(credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken+"x")); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("tampered session token: %v", err)
	}
	if err := call(credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)); err != nil {
		t.Errorf("session keys: %v", err)
	}
	// The SDK signs with the real time; the simulator's clock moves on.
	clock.Advance(16 * time.Minute)
	if err := call(credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)); apiCode(err) != "ExpiredToken" {
		t.Errorf("expired session: %v", err)
	}
	if err := call(credentials.NewStaticCredentialsProvider(aliceKey, "alice-secret-key-0000000000000000000001", "")); apiCode(err) != "SignatureDoesNotMatch" ||
		!strings.Contains(err.Error(), "Signature expired") {
		t.Errorf("clock skew: %v", err)
	}
	for _, call := range sim.Calls() {
		if call.Status == 200 && call.Caller == "" {
			t.Errorf("successful call without a caller: %+v", call)
		}
	}
}
