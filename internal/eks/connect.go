// Package eks connects kaji to an Amazon EKS cluster with no aws CLI, no exec plugin and
// no kubeconfig: credentials come from the AWS SDK's default chain, an optional role is
// assumed through STS, eks:DescribeCluster gives the endpoint and CA, and the bearer token
// is signed in process and refreshed before it expires.
//
//	conn, err := eks.Connect(ctx, *file.Cluster.EKS, eks.Options{})
//	if err != nil {
//		return err // says which link broke and ends "run `kaji doctor` ..."
//	}
//	c, err := cluster.FromConfig(conn.Kubeconfig, conn.Context, conn.REST)
//
// Every step is also exported on its own (LoadAWSConfig, AssumeRole, DescribeCluster,
// NewTokenSource) so that `kaji doctor` can walk the chain and report the first link
// that fails.
package eks

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"kaji.dev/kaji/internal/spec"
)

// Options change how Connect reaches AWS. The zero value is right for the CLI.
type Options struct {
	// LoadOptions are extra config.LoadDefaultConfig options, applied after the region:
	// an HTTP client or per-service endpoints in tests, say.
	LoadOptions []func(*config.LoadOptions) error
	// Now is the clock that signs tokens and decides when to refresh them; nil is time.Now.
	Now func() time.Time
	// LocalUser is the user name in the default session name kaji-USER; empty asks the OS.
	LocalUser string
	// Identity, when set, is the AWS configuration to connect with, shared with the rest of
	// the run (ECR tokens), so that the role is assumed once; nil makes one from target and
	// these options.
	Identity *Identity
}

// Connection is a prepared connection to an EKS cluster. Nothing in it holds a token or a
// secret that printing it would reveal.
type Connection struct {
	// AWS is the configuration kaji acts with: the assumed role's when there is one.
	AWS aws.Config
	// Cluster is what DescribeCluster reported.
	Cluster Cluster
	// SessionName is the AssumeRole session name used; empty without a role.
	SessionName string
	// Tokens makes the bearer tokens REST uses.
	Tokens *TokenSource
	// REST connects to the API server with tokens from Tokens.
	REST *rest.Config
	// Kubeconfig has one context, Context, describing the cluster for clientcmd users.
	Kubeconfig clientcmdapi.Config
	Context    string
}

// Connect walks from AWS credentials to a REST config for the cluster target names. It
// makes AWS calls (AssumeRole, DescribeCluster) but none to the Kubernetes API server.
func Connect(ctx context.Context, target spec.EKS, opts Options) (*Connection, error) {
	if err := checkTarget(target); err != nil {
		return nil, err
	}
	id := opts.Identity
	if id == nil {
		id = NewIdentity(target, opts)
	}
	cfg, err := id.Config(ctx)
	if err != nil {
		return nil, err
	}
	conn := &Connection{AWS: cfg, SessionName: id.SessionName()}
	conn.Cluster, err = DescribeCluster(ctx, eks.NewFromConfig(cfg), target.Name, target.Region)
	if err != nil {
		return nil, err
	}
	conn.Tokens = NewTokenSource(cfg, target.Name, opts.Now)
	conn.REST = RESTConfig(conn.Cluster, conn.Tokens)
	conn.Kubeconfig, conn.Context = Kubeconfig(conn.Cluster)
	return conn, nil
}

// SessionNameFor is the AssumeRole session name Connect uses for target: its sessionName,
// else DefaultSessionName of localUser, where an empty localUser asks the OS.
func SessionNameFor(target spec.EKS, localUser string) string {
	if target.SessionName != "" {
		return target.SessionName
	}
	if localUser == "" {
		localUser = currentUser()
	}
	return DefaultSessionName(localUser)
}

func checkTarget(t spec.EKS) error {
	var missing []string
	if t.Name == "" {
		missing = append(missing, "cluster.eks.name")
	}
	if t.Region == "" {
		missing = append(missing, "cluster.eks.region")
	}
	if len(missing) == 0 {
		return nil
	}
	return &Error{Step: StepCredentials, Kind: KindInvalidConfig, What: "connect to EKS",
		Err: errors.New(strings.Join(missing, " and ") + " must be set in kaji.yaml")}
}
