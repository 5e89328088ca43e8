package ecr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Error is a registry whose token could not be had. Its message says which identity asked,
// when that is known, and what to do; it never holds a token.
type Error struct {
	// Host is the registry host.
	Host string
	// Identity is the ARN kaji's AWS credentials belong to; empty when unknown.
	Identity string
	// Code is the AWS error code, such as AccessDeniedException; empty for other errors.
	Code string
	// Fix says what to do; may be empty when Err says it.
	Fix string
	Err error
}

func (e *Error) Error() string {
	msg := "get an ECR token for " + e.Host
	if e.Identity != "" {
		msg += " as " + e.Identity
	}
	msg += ": " + e.Err.Error()
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// needs says what the identity needs to pull repository (the path after the host) from r,
// besides ecr:GetAuthorizationToken.
func (r Registry) needs(repository string) string {
	resource := "the repository"
	if repository != "" {
		resource = r.RepositoryARN(repository)
	}
	return "ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on " + resource +
		" (and ecr:ListImages when a version constraint lists the chart's tags); " +
		"a repository of another account must also allow them in its repository policy"
}

// tokenError explains a failed GetAuthorizationToken.
func (a *Auth) tokenError(ctx context.Context, cfg aws.Config, r Registry, err error) error {
	e := &Error{Host: r.Host, Err: err}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		e.Fix = "check the network, or AWS_ENDPOINT_URL_ECR when it is set"
		return e
	}
	e.Code = ae.ErrorCode()
	switch e.Code {
	case "AccessDeniedException", "AccessDenied":
		e.Identity = a.identity(ctx, cfg)
		e.Fix = "allow it ecr:GetAuthorizationToken (on *); to pull, it also needs " + r.needs("")
	case "UnrecognizedClientException", "InvalidSignatureException", "InvalidClientTokenId", "SignatureDoesNotMatch":
		e.Fix = "AWS does not accept kaji's credentials: check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
	case "ExpiredTokenException", "ExpiredToken":
		e.Fix = "the AWS credentials have expired: refresh them (for SSO profiles, `aws sso login`)"
	}
	return e
}

// Refused says what to check when the registry host answers status (401 or 403) to the
// token for repository: the identity the token was asked as, and the actions it needs. It is
// empty for hosts that are not ECR's.
func (a *Auth) Refused(ctx context.Context, host, repository string, status int) string {
	if IsPublic(host) {
		return "Amazon ECR Public serves public repositories to anyone: check the repository name in the chart reference"
	}
	r, ok := ParseHost(host)
	if !ok {
		return ""
	}
	who := "kaji's AWS identity"
	if cfg, err := a.awsConfig(ctx); err == nil {
		if arn := a.identity(ctx, cfg); arn != "" {
			who = arn
		}
	}
	lead := "ECR refused the token of " + who
	if status == http.StatusUnauthorized {
		lead = "ECR did not accept the token of " + who + " (a token is good for the registries of one region, for 12 hours)"
	}
	return fmt.Sprintf("%s: it needs ecr:GetAuthorizationToken (on *), plus %s", lead, r.needs(repository))
}

// callerOnce remembers the caller's ARN, asked of STS at most once per Auth.
type callerOnce struct {
	once sync.Once
	arn  string
}

// identity is the ARN of cfg's credentials, from sts:GetCallerIdentity (which no policy can
// deny); empty when STS cannot say. It is asked only to explain a refusal.
func (a *Auth) identity(ctx context.Context, cfg aws.Config) string {
	a.caller.once.Do(func() {
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err == nil {
			a.caller.arn = aws.ToString(out.Arn)
		}
	})
	return a.caller.arn
}
