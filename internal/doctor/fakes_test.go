package doctor

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/spec"
)

// Facts the unit tests share.
const (
	account     = "111122223333"
	aliceARN    = "arn:aws:iam::111122223333:user/alice"
	deployerARN = "arn:aws:iam::111122223333:role/platform/kaji-deployer"
	canonical   = "arn:aws:iam::111122223333:role/kaji-deployer"
	sessionARN  = "arn:aws:sts::111122223333:assumed-role/kaji-deployer/kaji-e2e-user"
)

// apiErr is an AWS API error with a code.
func apiErr(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg}
}

// fakeSTS answers GetCallerIdentity for a fixed identity.
type fakeSTS struct {
	arn, userID string
	err         error
}

func (f fakeSTS) GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &sts.GetCallerIdentityOutput{Arn: aws.String(f.arn), Account: aws.String(account), UserId: aws.String(f.userID)}, nil
}

// fakeIAM holds roles by name and answers simulations with a fixed decision.
type fakeIAM struct {
	roles    map[string]iamtypes.Role // by name
	getErr   error
	decision iamtypes.PolicyEvaluationDecisionType
	missing  []string
	simErr   error
	simFor   []string // PolicySourceArns asked
}

func (f *fakeIAM) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	if f.getErr != nil {
		return nil, f.getErr
	}
	r, ok := f.roles[aws.ToString(in.RoleName)]
	if !ok {
		return nil, apiErr("NoSuchEntity", "The role with name "+aws.ToString(in.RoleName)+" cannot be found.")
	}
	return &iam.GetRoleOutput{Role: &r}, nil
}

func (f *fakeIAM) SimulatePrincipalPolicy(_ context.Context, in *iam.SimulatePrincipalPolicyInput, _ ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error) {
	f.simFor = append(f.simFor, aws.ToString(in.PolicySourceArn))
	if f.simErr != nil {
		return nil, f.simErr
	}
	decision := f.decision
	if decision == "" {
		decision = iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
	}
	return &iam.SimulatePrincipalPolicyOutput{EvaluationResults: []iamtypes.EvaluationResult{{
		EvalActionName: aws.String("sts:AssumeRole"), EvalDecision: decision, MissingContextValues: f.missing,
	}}}, nil
}

// role is an IAM role with a URL-encoded trust policy, as IAM returns it.
func role(arn, trust string) iamtypes.Role {
	name := arn[strings.LastIndexByte(arn, '/')+1:]
	return iamtypes.Role{Arn: aws.String(arn), RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(urlEncode(trust))}
}

func urlEncode(s string) string {
	r := strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D", "\"", "%22", " ", "%20", ":", "%3A", "/", "%2F", ",", "%2C", "[", "%5B", "]", "%5D", "\n", "%0A")
	return r.Replace(s)
}

// fakeEKS describes clusters and serves access entries.
type fakeEKS struct {
	cluster     *ekstypes.Cluster
	describeErr error
	entries     map[string]ekstypes.AccessEntry // by principal
	policies    map[string][]ekstypes.AssociatedAccessPolicy
	listErr     error
}

func (f *fakeEKS) DescribeCluster(context.Context, *awseks.DescribeClusterInput, ...func(*awseks.Options)) (*awseks.DescribeClusterOutput, error) {
	if f.describeErr != nil {
		return nil, f.describeErr
	}
	return &awseks.DescribeClusterOutput{Cluster: f.cluster}, nil
}

func (f *fakeEKS) ListAccessEntries(context.Context, *awseks.ListAccessEntriesInput, ...func(*awseks.Options)) (*awseks.ListAccessEntriesOutput, error) {
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []string
	for p := range f.entries {
		out = append(out, p)
	}
	return &awseks.ListAccessEntriesOutput{AccessEntries: out}, nil
}

func (f *fakeEKS) DescribeAccessEntry(_ context.Context, in *awseks.DescribeAccessEntryInput, _ ...func(*awseks.Options)) (*awseks.DescribeAccessEntryOutput, error) {
	e, ok := f.entries[aws.ToString(in.PrincipalArn)]
	if !ok {
		return nil, apiErr("ResourceNotFoundException", "no entry")
	}
	return &awseks.DescribeAccessEntryOutput{AccessEntry: &e}, nil
}

func (f *fakeEKS) ListAssociatedAccessPolicies(_ context.Context, in *awseks.ListAssociatedAccessPoliciesInput, _ ...func(*awseks.Options)) (*awseks.ListAssociatedAccessPoliciesOutput, error) {
	return &awseks.ListAssociatedAccessPoliciesOutput{AssociatedAccessPolicies: f.policies[aws.ToString(in.PrincipalArn)]}, nil
}

func activeCluster(mode, endpoint string, public bool, cidrs ...string) *ekstypes.Cluster {
	return &ekstypes.Cluster{
		Name: aws.String("prod"), Arn: aws.String("arn:aws:eks:eu-west-1:111122223333:cluster/prod"), Version: aws.String("1.33"),
		Endpoint: aws.String(endpoint), Status: ekstypes.ClusterStatusActive,
		CertificateAuthority: &ekstypes.Certificate{Data: aws.String("Q0E=")},
		AccessConfig:         &ekstypes.AccessConfigResponse{AuthenticationMode: ekstypes.AuthenticationMode(mode)},
		ResourcesVpcConfig:   &ekstypes.VpcConfigResponse{EndpointPublicAccess: public, EndpointPrivateAccess: !public, PublicAccessCidrs: cidrs},
	}
}

func entryPolicy(name, scope string, namespaces ...string) ekstypes.AssociatedAccessPolicy {
	return ekstypes.AssociatedAccessPolicy{PolicyArn: aws.String(accessPolicyPrefix + name),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeType(scope), Namespaces: namespaces}}
}

// awsWith is an AWS whose every client is one of the fakes.
func awsWith(s *fakeSTS, i *fakeIAM, e *fakeEKS) AWS {
	return AWS{
		Load: func(context.Context, string, ...func(*config.LoadOptions) error) (aws.Config, error) {
			return aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}}, nil
		},
		AssumeRole: func(_ context.Context, base aws.Config, _ eks.Role) (aws.Config, error) { return base, nil },
		STS:        func(aws.Config) CallerIdentityAPI { return s },
		IAM:        func(aws.Config) RoleAPI { return i },
		Cluster:    func(aws.Config) eks.DescribeClusterAPI { return e },
		AccessEntries: func(aws.Config) AccessEntryAPI {
			return e
		},
	}
}

// fakeNet resolves names from a table and connects to the addresses in open.
type fakeNet struct {
	hosts map[string][]string
	open  map[string]bool
	// hang makes dials to other addresses wait for the deadline, as a black hole does.
	hang bool
}

func (f fakeNet) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := f.hosts[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (f fakeNet) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if f.open[addr] {
		c, s := net.Pipe()
		s.Close()
		return c, nil
	}
	if f.hang {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: timeoutError{}}
	}
	return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connect: connection refused")}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// fakeKube answers as an API server would for one identity.
type fakeKube struct {
	user     *authnv1.UserInfo // nil: 401
	awsAuth  *corev1.ConfigMap // nil: not found
	readErr  error
	bindings []rbacv1.ClusterRoleBinding
	denied   map[string]bool // "verb resource namespace"
	asked    []authzv1.ResourceAttributes
}

func (f *fakeKube) kube() *Kube {
	return &Kube{ConfigMaps: f, Bindings: f, Self: f, Access: f, Kinds: fakeMapper{}}
}

func unauthorized() error {
	return apierrors.NewUnauthorized("Unauthorized")
}

func (f *fakeKube) ConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	if f.readErr != nil {
		return nil, f.readErr
	}
	if f.awsAuth == nil {
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
	}
	return f.awsAuth, nil
}

func (f *fakeKube) ClusterRoleBindings(context.Context) ([]rbacv1.ClusterRoleBinding, error) {
	return f.bindings, nil
}

func (f *fakeKube) RoleBindings(context.Context) ([]rbacv1.RoleBinding, error) { return nil, nil }

func (f *fakeKube) WhoAmI(context.Context) (authnv1.UserInfo, error) {
	if f.user == nil {
		return authnv1.UserInfo{}, unauthorized()
	}
	return *f.user, nil
}

func (f *fakeKube) Can(_ context.Context, attr authzv1.ResourceAttributes) (authzv1.SubjectAccessReviewStatus, error) {
	f.asked = append(f.asked, attr)
	key := attr.Verb + " " + attr.Resource + " " + attr.Namespace
	return authzv1.SubjectAccessReviewStatus{Allowed: !f.denied[key]}, nil
}

// fakeMapper knows the kinds of the quickstart charts.
type fakeMapper struct{}

func (fakeMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	resources := map[schema.GroupKind]string{
		{Kind: "ConfigMap"}: "configmaps", {Kind: "Service"}: "services", {Group: "apps", Kind: "Deployment"}: "deployments",
		{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}: "clusterroles",
	}
	r, ok := resources[gk]
	if !ok {
		return nil, &meta.NoKindMatchError{GroupKind: gk, SearchedVersions: versions}
	}
	scope := meta.RESTScopeNamespace
	if gk.Kind == "ClusterRole" {
		scope = meta.RESTScopeRoot
	}
	return &meta.RESTMapping{Resource: schema.GroupVersionResource{Group: gk.Group, Version: versions[0], Resource: r}, Scope: scope}, nil
}

// fixedObjects lists the same objects for every release.
type fixedObjects []Object

func (f fixedObjects) Objects(context.Context, spec.ResolvedRelease) ([]Object, error) { return f, nil }

// resolved is a kaji.yaml with EKS and releases in namespaces.
func resolved(e *spec.EKS, namespaces ...string) *spec.Resolved {
	r := &spec.Resolved{Project: "shop", Cluster: spec.Cluster{EKS: e}}
	for i, ns := range namespaces {
		r.Releases = append(r.Releases, spec.ResolvedRelease{Name: "r" + string(rune('a'+i)), Namespace: ns})
	}
	return r
}

func deployerEKS() *spec.EKS {
	return &spec.EKS{Name: "prod", Region: "eu-west-1", RoleARN: deployerARN, ExternalID: "kaji-e2e", SessionName: "kaji-e2e-user"}
}

// session makes a Session as the identity check would.
func session(t *testing.T, arn string) *Session {
	t.Helper()
	s, err := whoIs(context.Background(), fakeSTS{arn: arn, userID: "AIDAEXAMPLE"}, aws.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type ekstypesAccessEntry = ekstypes.AccessEntry

func ptr[T any](v T) *T { return &v }
