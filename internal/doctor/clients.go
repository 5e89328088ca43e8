package doctor

import (
	"context"
	"fmt"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"kaji.dev/kaji/internal/eks"
)

// The AWS calls the checks make, one narrow interface per concern. The AWS SDK's clients
// implement them.

// CallerIdentityAPI asks STS who the credentials belong to.
type CallerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// RoleAPI reads a role's trust policy and simulates a principal's identity policies.
type RoleAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	SimulatePrincipalPolicy(ctx context.Context, in *iam.SimulatePrincipalPolicyInput, optFns ...func(*iam.Options)) (*iam.SimulatePrincipalPolicyOutput, error)
}

// AccessEntryAPI reads a cluster's access entries and their access policies.
type AccessEntryAPI interface {
	ListAccessEntries(ctx context.Context, in *awseks.ListAccessEntriesInput, optFns ...func(*awseks.Options)) (*awseks.ListAccessEntriesOutput, error)
	DescribeAccessEntry(ctx context.Context, in *awseks.DescribeAccessEntryInput, optFns ...func(*awseks.Options)) (*awseks.DescribeAccessEntryOutput, error)
	ListAssociatedAccessPolicies(ctx context.Context, in *awseks.ListAssociatedAccessPoliciesInput, optFns ...func(*awseks.Options)) (*awseks.ListAssociatedAccessPoliciesOutput, error)
}

// ParameterAPI describes SSM parameters: their type and KMS key, never their value.
type ParameterAPI interface {
	DescribeParameters(ctx context.Context, in *ssm.DescribeParametersInput, optFns ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
}

// SecretAPI describes Secrets Manager secrets: their ARN and KMS key, never their value.
type SecretAPI interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

// AWS makes the AWS clients of the checks. Every field has a default (see New) that uses the
// AWS SDK; tests replace them with fakes.
type AWS struct {
	// Load loads the AWS configuration for a region and checks that it has credentials.
	Load func(ctx context.Context, region string, extra ...func(*config.LoadOptions) error) (aws.Config, error)
	// AssumeRole returns a configuration with a role's credentials.
	AssumeRole    func(ctx context.Context, base aws.Config, role eks.Role) (aws.Config, error)
	STS           func(aws.Config) CallerIdentityAPI
	IAM           func(aws.Config) RoleAPI
	Cluster       func(aws.Config) eks.DescribeClusterAPI
	AccessEntries func(aws.Config) AccessEntryAPI
	// Parameters and Secrets describe what references name, in the configuration's region.
	Parameters func(aws.Config) ParameterAPI
	Secrets    func(aws.Config) SecretAPI
}

func defaultAWS() AWS {
	return AWS{
		Load:          eks.LoadAWSConfig,
		AssumeRole:    eks.AssumeRole,
		STS:           func(c aws.Config) CallerIdentityAPI { return sts.NewFromConfig(c) },
		IAM:           func(c aws.Config) RoleAPI { return iam.NewFromConfig(c) },
		Cluster:       func(c aws.Config) eks.DescribeClusterAPI { return awseks.NewFromConfig(c) },
		AccessEntries: func(c aws.Config) AccessEntryAPI { return awseks.NewFromConfig(c) },
		Parameters:    func(c aws.Config) ParameterAPI { return ssm.NewFromConfig(c) },
		Secrets:       func(c aws.Config) SecretAPI { return secretsmanager.NewFromConfig(c) },
	}
}

// Resolver looks up a host name; *net.Resolver is one.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Dialer opens TCP connections; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// The Kubernetes calls the checks make.

// ConfigMapReader reads one ConfigMap.
type ConfigMapReader interface {
	ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error)
}

// BindingLister lists the RBAC bindings of the cluster.
type BindingLister interface {
	ClusterRoleBindings(ctx context.Context) ([]rbacv1.ClusterRoleBinding, error)
	RoleBindings(ctx context.Context) ([]rbacv1.RoleBinding, error)
}

// SelfReviewer asks the API server who the caller is (SelfSubjectReview).
type SelfReviewer interface {
	WhoAmI(ctx context.Context) (authnv1.UserInfo, error)
}

// AccessReviewer asks the API server whether the caller may do something
// (SelfSubjectAccessReview).
type AccessReviewer interface {
	Can(ctx context.Context, attr authzv1.ResourceAttributes) (authzv1.SubjectAccessReviewStatus, error)
}

// KindMapper maps a kind to its resource and scope; meta.RESTMapper is one.
type KindMapper interface {
	RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error)
}

// Kube is what the checks ask the API server, as the identity kaji applies with.
type Kube struct {
	ConfigMaps ConfigMapReader
	Bindings   BindingLister
	Self       SelfReviewer
	Access     AccessReviewer
	Kinds      KindMapper
}

// KubeConnector makes the Kubernetes clients for a REST config.
type KubeConnector func(*rest.Config) (*Kube, error)

// ConnectKube is the default KubeConnector: client-go clients and a discovery-backed mapper.
func ConnectKube(cfg *rest.Config) (*Kube, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	c := clientset{cs}
	return &Kube{
		ConfigMaps: c, Bindings: c, Self: c, Access: c,
		Kinds: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)),
	}, nil
}

// clientset adapts a clientset to the narrow interfaces.
type clientset struct{ cs kubernetes.Interface }

func (c clientset) ConfigMap(ctx context.Context, namespace, name string) (*corev1.ConfigMap, error) {
	return c.cs.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
}

func (c clientset) ClusterRoleBindings(ctx context.Context) ([]rbacv1.ClusterRoleBinding, error) {
	l, err := c.cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (c clientset) RoleBindings(ctx context.Context) ([]rbacv1.RoleBinding, error) {
	l, err := c.cs.RbacV1().RoleBindings(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	return l.Items, nil
}

func (c clientset) WhoAmI(ctx context.Context) (authnv1.UserInfo, error) {
	r, err := c.cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authnv1.UserInfo{}, err
	}
	return r.Status.UserInfo, nil
}

func (c clientset) Can(ctx context.Context, attr authzv1.ResourceAttributes) (authzv1.SubjectAccessReviewStatus, error) {
	r, err := c.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
		&authzv1.SelfSubjectAccessReview{Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attr}}, metav1.CreateOptions{})
	if err != nil {
		return authzv1.SubjectAccessReviewStatus{}, err
	}
	return r.Status, nil
}
