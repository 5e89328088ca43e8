package eks

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// LoadAWSConfig loads the AWS SDK's default configuration for region (environment, shared
// config and credentials files with AWS_PROFILE, SSO, web identity, container and instance
// roles) and checks that it yields credentials. extra options apply after the region.
func LoadAWSConfig(ctx context.Context, region string, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts := append([]func(*config.LoadOptions) error{config.WithRegion(region)}, extra...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, &Error{Step: StepCredentials, Kind: KindInvalidConfig, What: "load AWS configuration", Err: err,
			Fix: "check AWS_PROFILE and the files AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point to (default ~/.aws/config and ~/.aws/credentials)"}
	}
	if cfg.Credentials == nil {
		return aws.Config{}, noCredentials(errors.New("no credential provider"))
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if k := awsKind(err); k != KindOther {
			return aws.Config{}, &Error{Step: StepCredentials, Kind: k, What: "get AWS credentials", Err: err, Fix: credentialFix(k)}
		}
		return aws.Config{}, noCredentials(err)
	}
	return cfg, nil
}

func noCredentials(err error) error {
	return &Error{Step: StepCredentials, Kind: KindNoCredentials,
		What: "no AWS credentials found (looked in the environment, the shared config and credentials files, SSO, web identity, and container and instance roles)",
		Err:  err,
		Fix:  "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for an SSO profile, log in first (`aws sso login`)"}
}

// Role is the IAM role to assume, as kaji.yaml's cluster.eks gives it.
type Role struct {
	ARN string
	// SessionName defaults to DefaultSessionName.
	SessionName string
	ExternalID  string
}

// AssumeRole returns a copy of base whose credentials are role's, assumed through STS with
// base's credentials and refreshed before they expire. It assumes the role once at once, so
// that a trust policy that does not let the caller in fails here, with AccessDenied.
func AssumeRole(ctx context.Context, base aws.Config, role Role) (aws.Config, error) {
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base), role.ARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = role.SessionName
		o.Duration = sessionDuration
		if role.ExternalID != "" {
			o.ExternalID = aws.String(role.ExternalID)
		}
	})
	cfg := base.Copy()
	// Refresh the role's credentials a while before they expire, so that a token signed
	// with them always has minutes to live.
	cfg.Credentials = aws.NewCredentialsCache(provider, func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = credentialsRefreshWindow
	})
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		what := fmt.Sprintf("assume role %s (session %s)", role.ARN, role.SessionName)
		k := awsKind(err)
		fix := credentialFix(k)
		if k == KindAccessDenied {
			fix = "the role's trust policy must allow your identity to sts:AssumeRole it (with the right external id, if it asks for one); " +
				"when it trusts a whole account, your own IAM policies must also allow sts:AssumeRole on the role; also check cluster.eks.roleArn, path included"
		}
		return aws.Config{}, &Error{Step: StepAssumeRole, Kind: k, What: what, Err: err, Fix: fix}
	}
	return cfg, nil
}

// sessionDuration is how long assumed-role credentials last: an hour, the longest every
// role allows (and the limit for role chaining), so that they outlive several tokens.
const sessionDuration = time.Hour

// credentialsRefreshWindow is how long before they expire assumed-role credentials are
// renewed.
const credentialsRefreshWindow = 5 * time.Minute

var sessionNameInvalid = regexp.MustCompile(`[^\w+=,.@-]+`)

// DefaultSessionName is kaji-USER, USER being the local user name (or login if the name is
// empty) cleaned to the characters STS accepts and cut to its 64-character limit.
func DefaultSessionName(localUser string) string {
	name := sessionNameInvalid.ReplaceAllString(localUser, "-")
	name = strings.Trim(name, "-")
	if name == "" {
		return "kaji"
	}
	s := "kaji-" + name
	if len(s) > 64 {
		s = s[:64]
	}
	return s
}

// currentUser is the OS user name for DefaultSessionName, or "" when unknown.
func currentUser() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	// Windows reports DOMAIN\name.
	name := u.Username
	if i := strings.LastIndexAny(name, `\/`); i >= 0 {
		name = name[i+1:]
	}
	return name
}
