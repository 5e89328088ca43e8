package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/eks/awsauth"
)

// identityCheck resolves the caller's AWS credentials and asks STS whose they are.
type identityCheck struct {
	load func(ctx context.Context, region string, extra ...func(*config.LoadOptions) error) (aws.Config, error)
	sts  func(aws.Config) CallerIdentityAPI
	iam  func(aws.Config) RoleAPI
}

func (c identityCheck) run(ctx context.Context, s *State) Finding {
	if s.EKS == nil {
		return skipped("not an EKS cluster: kaji authenticates with what the kubeconfig gives")
	}
	if s.EKS.Region == "" {
		return Finding{Status: Fail, Summary: fmt.Sprintf("no AWS region for EKS cluster %s (from %s)", s.EKS.Name, s.EKSFrom),
			Fix: &Fix{Summary: "set the region: cluster.eks.region in kaji.yaml, --region in the exec plugin's args, or AWS_REGION"}}
	}
	cfg, err := c.load(ctx, s.EKS.Region, s.AWSOptions...)
	if err != nil {
		f := Finding{Status: Fail, Summary: "no usable AWS credentials: " + errorText(err)}
		var ee *eks.Error
		if errors.As(err, &ee) && ee.Fix != "" {
			f.Fix = &Fix{Summary: ee.Fix}
		} else {
			f.Fix = &Fix{Summary: "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for an SSO profile, log in first", Commands: []string{"aws sso login"}}
		}
		return f
	}
	sess, err := whoIs(ctx, c.sts(cfg), cfg)
	if err != nil {
		return Finding{Status: Fail, Summary: "sts:GetCallerIdentity: " + errorText(err),
			Fix: &Fix{Summary: "AWS does not accept these credentials: check AWS_PROFILE or AWS_ACCESS_KEY_ID, that the key is active and not expired (`aws sso login` for SSO), and the system clock"}}
	}
	evidence := []string{"account " + sess.Account}
	if creds, err := cfg.Credentials.Retrieve(ctx); err == nil && creds.Source != "" {
		evidence = append(evidence, "credentials from "+creds.Source)
	}
	if sess.IsRole() {
		evidence = append(evidence, "a session of role "+sess.IAMARN)
		if roleSessionPath(ctx, c.iam(cfg), sess) {
			evidence = append(evidence, "role path read with iam:GetRole: "+sess.IAMARN)
		} else {
			evidence = append(evidence, "the role's path is unknown (iam:GetRole was not allowed); session ARNs do not carry it")
		}
	}
	s.Base = sess
	if s.EKS.RoleARN == "" {
		s.Acting = sess
	}
	return ok("you are "+sess.ARN, evidence...)
}

// whoIs asks STS who cfg's credentials belong to.
func whoIs(ctx context.Context, api CallerIdentityAPI, cfg aws.Config) (*Session, error) {
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, err
	}
	sess := &Session{Config: cfg, ARN: aws.ToString(out.Arn), Account: aws.ToString(out.Account), UserID: aws.ToString(out.UserId)}
	p, err := awsauth.ParsePrincipalARN(sess.ARN)
	if err != nil {
		return nil, fmt.Errorf("sts:GetCallerIdentity returned %w", err)
	}
	sess.Canonical, _ = awsauth.CanonicalARN(sess.ARN)
	sess.IAMARN, sess.PathKnown = sess.ARN, true
	if p.Kind == "assumed-role" {
		sess.SessionName = p.Session
		sess.IAMARN, sess.PathKnown = sess.Canonical, false
	}
	return sess, nil
}

// roleSessionPath learns the path of a session's role with iam:GetRole.
func roleSessionPath(ctx context.Context, api RoleAPI, sess *Session) bool {
	p, err := awsauth.ParsePrincipalARN(sess.ARN)
	if err != nil {
		return false
	}
	out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
	if err != nil || out.Role == nil {
		return false
	}
	sess.IAMARN, sess.PathKnown = aws.ToString(out.Role.Arn), true
	return true
}

// awsCode is an AWS error's code, or "".
func awsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// errorText is an error's message, shortened for a report: an AWS error is its code and
// message without the SDK's request details, and an eks.Error loses the pointer to kaji
// doctor it ends with, which would be odd inside doctor's own report.
func errorText(err error) string {
	var ee *eks.Error
	if errors.As(err, &ee) {
		msg := ee.What
		if ee.Err != nil {
			msg += ": " + errorText(ee.Err)
		}
		return msg
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return strings.TrimSuffix(err.Error(), "; "+HintText)
}
