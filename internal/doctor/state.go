package doctor

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/client-go/rest"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/spec"
)

// State is what the checks have learned so far; each check reads what earlier ones found
// and adds what it finds.
type State struct {
	Target Target

	// EKS is the EKS cluster to check: kaji.yaml's cluster.eks, or the one the kubeconfig's
	// exec plugin (aws eks get-token) names; nil for a cluster that is not EKS.
	EKS *spec.EKS
	// EKSFrom says where EKS came from.
	EKSFrom string
	// AWSOptions are extra options for loading the AWS configuration, such as the profile
	// the exec plugin uses.
	AWSOptions []func(*config.LoadOptions) error

	// Base is the caller's own AWS identity; Acting is the one kaji acts with: the role's
	// session when cluster.eks.roleArn is set, else Base. Nil when unknown.
	Base, Acting *Session
	// ActingProblem says why there is no Acting session.
	ActingProblem string

	// Server is the API server URL the kubeconfig names; empty with cluster.eks.
	Server string
	// Cluster is what eks:DescribeCluster said.
	Cluster *eks.Cluster
	// REST reaches the API server as kaji does; RESTProblem says why it is nil.
	REST        *rest.Config
	RESTProblem string
	// Reachable is true when the API server accepted a TCP connection.
	Reachable bool
	// Kube asks the API server as kaji's identity; KubeProblem says why it is nil.
	Kube        *Kube
	KubeProblem string

	// awsAuthMapped is set when an aws-auth entry maps the acting identity.
	awsAuthMapped bool
	// mappedGroups are the Kubernetes groups the mapping (aws-auth entry or access entry)
	// gives the identity; RBAC fixes bind the first of them.
	mappedGroups []string

	objects ObjectLister
	entries func(aws.Config) AccessEntryAPI
	done    map[string]Status

	userOnce sync.Once
	user     authnv1.UserInfo
	userErr  error

	objOnce sync.Once
	objs    []releaseObjects

	entryOnce sync.Once
	entry     entryLookup
}

// Session is an AWS identity with the configuration that signs as it.
type Session struct {
	Config aws.Config
	// ARN is what sts:GetCallerIdentity reports: a user ARN or an assumed-role session ARN.
	ARN     string
	Account string
	// UserID is the unique id (AIDA..., AROA...:SESSION).
	UserID string
	// IAMARN is the IAM user or role ARN; for a role session, the role's path is included
	// only when PathKnown.
	IAMARN    string
	PathKnown bool
	// Canonical is the ARN EKS maps: for a role session, the role's ARN without its path.
	Canonical string
	// SessionName is the role session name; empty for users.
	SessionName string
}

// IsRole says whether the session is a role's.
func (s *Session) IsRole() bool { return s.SessionName != "" }

func newState(t Target, objects ObjectLister, entries func(aws.Config) AccessEntryAPI) *State {
	return &State{Target: t, objects: objects, entries: entries, done: map[string]Status{}}
}

// statusOf is how an earlier check ended; empty when it has not run.
func (s *State) statusOf(check string) Status { return s.done[check] }

// whoAmI asks the API server, once, who kaji's identity is.
func (s *State) whoAmI(ctx context.Context) (authnv1.UserInfo, error) {
	s.userOnce.Do(func() {
		s.user, s.userErr = s.Kube.Self.WhoAmI(ctx)
	})
	return s.user, s.userErr
}

// mode is the cluster's authentication mode, or "" when unknown.
func (s *State) mode() string {
	if s.Cluster == nil {
		return ""
	}
	return s.Cluster.AuthenticationMode
}

// writeNamespaces lists the namespaces apply writes to, each once: the releases' in release
// order, then the project lock's.
func (s *State) writeNamespaces() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range s.Target.Resolved.Releases {
		if !seen[r.Namespace] {
			seen[r.Namespace] = true
			out = append(out, r.Namespace)
		}
	}
	if ns := s.Target.lockNamespace(); !seen[ns] {
		out = append(out, ns)
	}
	return out
}
