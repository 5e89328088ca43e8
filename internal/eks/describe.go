package eks

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"
)

// DescribeClusterAPI is the one EKS call Connect needs; *eks.Client implements it.
type DescribeClusterAPI interface {
	DescribeCluster(ctx context.Context, in *eks.DescribeClusterInput, optFns ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
}

// Cluster is what kaji needs to know about an EKS cluster.
type Cluster struct {
	Name   string
	ARN    string
	Region string
	// Endpoint is the API server URL.
	Endpoint string
	// CAData is the API server's PEM CA bundle.
	CAData  []byte
	Version string
	Status  string
	// AuthenticationMode is CONFIG_MAP, API_AND_CONFIG_MAP or API.
	AuthenticationMode    string
	EndpointPublicAccess  bool
	EndpointPrivateAccess bool
	PublicAccessCIDRs     []string
}

// DescribeCluster asks EKS for a cluster's endpoint, CA and access settings.
func DescribeCluster(ctx context.Context, api DescribeClusterAPI, name, region string) (Cluster, error) {
	what := fmt.Sprintf("describe EKS cluster %q in %s", name, region)
	out, err := api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
	if err != nil {
		k := awsKind(err)
		fix := credentialFix(k)
		switch k {
		case KindClusterNotFound:
			fix = "check cluster.eks.name and cluster.eks.region in kaji.yaml, and that the credentials belong to the cluster's account"
		case KindAccessDenied:
			fix = "the identity kaji uses needs eks:DescribeCluster on the cluster"
		}
		return Cluster{}, &Error{Step: StepDescribeCluster, Kind: k, What: what, Err: err, Fix: fix}
	}
	c := out.Cluster
	if c == nil {
		return Cluster{}, &Error{Step: StepDescribeCluster, Kind: KindOther, What: what, Err: errors.New("EKS returned no cluster")}
	}
	info := Cluster{
		Name:     aws.ToString(c.Name),
		ARN:      aws.ToString(c.Arn),
		Region:   region,
		Endpoint: aws.ToString(c.Endpoint),
		Version:  aws.ToString(c.Version),
		Status:   string(c.Status),
	}
	if c.AccessConfig != nil {
		info.AuthenticationMode = string(c.AccessConfig.AuthenticationMode)
	}
	if v := c.ResourcesVpcConfig; v != nil {
		info.EndpointPublicAccess, info.EndpointPrivateAccess = v.EndpointPublicAccess, v.EndpointPrivateAccess
		info.PublicAccessCIDRs = v.PublicAccessCidrs
	}
	if (c.Status != types.ClusterStatusActive && c.Status != types.ClusterStatusUpdating) || info.Endpoint == "" {
		return info, &Error{Step: StepDescribeCluster, Kind: KindClusterNotReady, What: what,
			Err: fmt.Errorf("cluster is %s with endpoint %q", c.Status, info.Endpoint), Fix: "wait until the cluster is ACTIVE"}
	}
	if c.CertificateAuthority == nil || aws.ToString(c.CertificateAuthority.Data) == "" {
		return info, &Error{Step: StepDescribeCluster, Kind: KindClusterNotReady, What: what, Err: errors.New("EKS reported no certificate authority")}
	}
	info.CAData, err = base64.StdEncoding.DecodeString(aws.ToString(c.CertificateAuthority.Data))
	if err != nil {
		return info, &Error{Step: StepDescribeCluster, Kind: KindOther, What: what, Err: fmt.Errorf("decode certificate authority: %w", err)}
	}
	return info, nil
}
