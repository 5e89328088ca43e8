package doctor

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/spec"
)

func TestIdentityCheck(t *testing.T) {
	noCreds := &eks.Error{Step: eks.StepCredentials, Kind: eks.KindNoCredentials, What: "no AWS credentials found", Fix: "set AWS_PROFILE"}
	cases := []struct {
		name    string
		target  *spec.EKS
		loadErr error
		sts     fakeSTS
		iam     *fakeIAM
		status  Status
		summary string
		// iamARN is the session's IAM ARN, and acting whether it is also the acting one.
		iamARN string
		acting bool
	}{
		{name: "user", target: &spec.EKS{Name: "prod", Region: "eu-west-1"}, sts: fakeSTS{arn: aliceARN}, status: OK,
			summary: "you are " + aliceARN, iamARN: aliceARN, acting: true},
		{name: "user who will assume a role", target: deployerEKS(), sts: fakeSTS{arn: aliceARN}, status: OK, iamARN: aliceARN},
		{name: "role session, path learned", target: &spec.EKS{Name: "prod", Region: "eu-west-1"}, sts: fakeSTS{arn: sessionARN},
			iam:    &fakeIAM{roles: map[string]iamtypes.Role{"kaji-deployer": role(deployerARN, trustPolicy(trustsAlice))}},
			status: OK, iamARN: deployerARN, acting: true},
		{name: "role session, path unknown", target: &spec.EKS{Name: "prod", Region: "eu-west-1"}, sts: fakeSTS{arn: sessionARN},
			iam: &fakeIAM{getErr: apiErr("AccessDenied", "no")}, status: OK, iamARN: canonical, acting: true},
		{name: "no credentials", target: &spec.EKS{Name: "prod", Region: "eu-west-1"}, loadErr: noCreds, status: Fail, summary: "no AWS credentials found"},
		{name: "bad key", target: &spec.EKS{Name: "prod", Region: "eu-west-1"}, sts: fakeSTS{err: apiErr("InvalidClientTokenId", "The security token included in the request is invalid.")},
			status: Fail, summary: "sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is invalid."},
		{name: "no region", target: &spec.EKS{Name: "prod"}, status: Fail, summary: "no AWS region"},
		{name: "not EKS", status: Skipped},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fi := c.iam
			if fi == nil {
				fi = &fakeIAM{}
			}
			check := identityCheck{
				load: func(context.Context, string, ...func(*config.LoadOptions) error) (aws.Config, error) {
					return aws.Config{Credentials: aws.AnonymousCredentials{}}, c.loadErr
				},
				sts: func(aws.Config) CallerIdentityAPI { return c.sts },
				iam: func(aws.Config) RoleAPI { return fi },
			}
			s := newState(Target{Resolved: resolved(c.target)}, nil, nil)
			s.EKS = c.target
			f := check.run(t.Context(), s)
			if f.Status != c.status || !strings.Contains(f.Summary, c.summary) {
				t.Fatalf("%s: %s, want %s: %s", f.Status, f.Summary, c.status, c.summary)
			}
			if strings.Contains(f.Summary, "run `kaji doctor`") {
				t.Errorf("a doctor finding points at doctor: %s", f.Summary)
			}
			if c.status != OK {
				if s.Base != nil || (c.status == Fail && f.Fix == nil) {
					t.Errorf("base %+v, fix %+v", s.Base, f.Fix)
				}
				return
			}
			if s.Base == nil || s.Base.IAMARN != c.iamARN {
				t.Fatalf("base = %+v, want IAM ARN %s", s.Base, c.iamARN)
			}
			if (s.Acting == s.Base) != c.acting {
				t.Errorf("acting = %+v", s.Acting)
			}
		})
	}
}
