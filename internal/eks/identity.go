package eks

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"

	"kaji.dev/kaji/internal/spec"
)

// Identity is the AWS configuration kaji acts with on an EKS cluster: the default chain's
// credentials in the cluster's region, with cluster.eks.roleArn assumed when it is set. It is
// made on first use and then shared, so that a run assumes the role once for everything it
// asks AWS (the EKS connection, ECR tokens), with the credentials cached and refreshed before
// they expire. A failure is not kept: the next use tries again. Safe for concurrent use.
type Identity struct {
	target spec.EKS
	opts   Options

	mu      sync.Mutex
	cfg     *aws.Config
	session string
}

// NewIdentity returns the identity of target; it makes no request until Config.
func NewIdentity(target spec.EKS, opts Options) *Identity {
	return &Identity{target: target, opts: opts}
}

// Config returns the configuration, loading it and assuming the role on first use. Its
// errors are Connect's: an *Error at StepCredentials or StepAssumeRole.
func (i *Identity) Config(ctx context.Context) (aws.Config, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.cfg != nil {
		return *i.cfg, nil
	}
	cfg, err := LoadAWSConfig(ctx, i.target.Region, i.opts.LoadOptions...)
	if err != nil {
		return aws.Config{}, err
	}
	session := ""
	if i.target.RoleARN != "" {
		session = SessionNameFor(i.target, i.opts.LocalUser)
		cfg, err = AssumeRole(ctx, cfg, Role{ARN: i.target.RoleARN, SessionName: session, ExternalID: i.target.ExternalID})
		if err != nil {
			return aws.Config{}, err
		}
	}
	i.cfg, i.session = &cfg, session
	return cfg, nil
}

// SessionName is the AssumeRole session name of the role assumed; empty without a role or
// before Config succeeded.
func (i *Identity) SessionName() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.session
}
