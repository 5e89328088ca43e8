package eks

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"
)

// Step is the link of the chain from AWS credentials to the Kubernetes API that failed.
type Step string

// The steps of Connect, in order.
const (
	StepCredentials     Step = "credentials"
	StepAssumeRole      Step = "assume-role"
	StepDescribeCluster Step = "describe-cluster"
	StepToken           Step = "token"
)

// Kind classifies a failure for callers (the CLI's exit code, doctor's findings).
type Kind string

// The kinds of failure.
const (
	KindNoCredentials      Kind = "no-credentials"
	KindInvalidCredentials Kind = "invalid-credentials"
	KindExpiredCredentials Kind = "expired-credentials"
	KindAccessDenied       Kind = "access-denied"
	KindClusterNotFound    Kind = "cluster-not-found"
	KindClusterNotReady    Kind = "cluster-not-ready"
	KindInvalidConfig      Kind = "invalid-config"
	KindOther              Kind = "other"
)

// doctorHint ends every error of this package.
const doctorHint = "run `kaji doctor` to find the broken link"

// Error is a failure to connect to an EKS cluster. Its message says what failed, why, what
// to try, and ends with a pointer to `kaji doctor`. It unwraps to the AWS SDK's error, so
// errors.As with smithy.APIError finds the AWS error code.
type Error struct {
	Step Step
	Kind Kind
	// What says what kaji was doing, such as `assume role arn:aws:iam::...`.
	What string
	// Fix says what to do about it; may be empty.
	Fix string
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.What)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	b.WriteString("; ")
	b.WriteString(doctorHint)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// awsKind classifies an AWS SDK error by its error code.
func awsKind(err error) Kind {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return KindOther
	}
	switch ae.ErrorCode() {
	case "AccessDenied", "AccessDeniedException":
		return KindAccessDenied
	case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidSignatureException":
		return KindInvalidCredentials
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
		return KindExpiredCredentials
	case "ResourceNotFoundException":
		return KindClusterNotFound
	}
	return KindOther
}

// credentialFix says what to do about credentials AWS rejected.
func credentialFix(k Kind) string {
	switch k {
	case KindInvalidCredentials:
		return "AWS does not accept these credentials: check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and that the key is active"
	case KindExpiredCredentials:
		return "the credentials have expired: refresh them (for SSO profiles, `aws sso login`) or check the system clock"
	}
	return ""
}
