package awssim

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestIAMGetRole(t *testing.T) {
	sim := startSim(t)
	client := iam.NewFromConfig(sdkConfig(t, sim, aliceKey))
	out, err := client.GetRole(ctxT(t), &iam.GetRoleInput{RoleName: aws.String("kaji-deployer")})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Role
	if aws.ToString(r.Arn) != "arn:aws:iam::111122223333:role/platform/kaji-deployer" || aws.ToString(r.Path) != "/platform/" {
		t.Errorf("role = %s path %s", aws.ToString(r.Arn), aws.ToString(r.Path))
	}
	raw := aws.ToString(r.AssumeRolePolicyDocument)
	if strings.Contains(raw, "{") {
		t.Errorf("trust policy is not URL-encoded: %s", raw)
	}
	doc, err := url.QueryUnescape(raw)
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Statement []struct{ Principal struct{ AWS string } }
	}
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		t.Fatalf("trust policy %s: %v", doc, err)
	}
	if len(policy.Statement) != 1 || policy.Statement[0].Principal.AWS != "arn:aws:iam::111122223333:user/alice" {
		t.Errorf("trust policy = %s", doc)
	}

	_, err = client.GetRole(ctxT(t), &iam.GetRoleInput{RoleName: aws.String("nope")})
	var nse *iamtypes.NoSuchEntityException
	if !asError(err, &nse) {
		t.Errorf("missing role: %v", err)
	}
	_, err = iam.NewFromConfig(sdkConfig(t, sim, bobKey)).GetRole(ctxT(t), &iam.GetRoleInput{RoleName: aws.String("kaji-deployer")})
	if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "because no identity-based policy allows the iam:GetRole action") {
		t.Errorf("bob: %v", err)
	}
}

func TestIAMSimulatePrincipalPolicy(t *testing.T) {
	sim := startSim(t)
	client := iam.NewFromConfig(sdkConfig(t, sim, aliceKey))
	out, err := client.SimulatePrincipalPolicy(ctxT(t), &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::111122223333:role/platform/kaji-deployer"),
		ActionNames:     []string{"eks:DescribeCluster", "eks:DeleteCluster"},
		ResourceArns:    []string{"arn:aws:eks:eu-west-1:111122223333:cluster/prod"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]iamtypes.PolicyEvaluationDecisionType{}
	for _, r := range out.EvaluationResults {
		got[aws.ToString(r.EvalActionName)] = r.EvalDecision
	}
	if got["eks:DescribeCluster"] != iamtypes.PolicyEvaluationDecisionTypeAllowed || got["eks:DeleteCluster"] != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Errorf("decisions = %v", got)
	}
	if m := out.EvaluationResults[0].MatchedStatements; len(m) != 1 || aws.ToString(m[0].SourcePolicyId) != "describe-clusters" {
		t.Errorf("matched = %+v", m)
	}
}

func TestEKSDescribeCluster(t *testing.T) {
	sim := startSim(t)
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	if err := sim.SetClusterEndpoint("prod", "https://127.0.0.1:6443", ca); err != nil {
		t.Fatal(err)
	}
	client := eks.NewFromConfig(sdkConfig(t, sim, aliceKey))
	out, err := client.DescribeCluster(ctxT(t), &eks.DescribeClusterInput{Name: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Cluster
	if aws.ToString(c.Endpoint) != "https://127.0.0.1:6443" || c.Status != ekstypes.ClusterStatusActive {
		t.Errorf("endpoint %s status %s", aws.ToString(c.Endpoint), c.Status)
	}
	if data, _ := base64.StdEncoding.DecodeString(aws.ToString(c.CertificateAuthority.Data)); string(data) != string(ca) {
		t.Errorf("CA = %q", data)
	}
	if c.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeApiAndConfigMap {
		t.Errorf("mode = %s", c.AccessConfig.AuthenticationMode)
	}
	v := c.ResourcesVpcConfig
	if !v.EndpointPublicAccess || v.EndpointPrivateAccess || !slices.Equal(v.PublicAccessCidrs, []string{"203.0.113.0/24"}) {
		t.Errorf("vpc config = %+v", v)
	}
	if aws.ToString(c.Arn) != "arn:aws:eks:eu-west-1:111122223333:cluster/prod" {
		t.Errorf("arn = %s", aws.ToString(c.Arn))
	}

	// Another region does not see the cluster.
	other := sdkConfig(t, sim, aliceKey)
	other.Region = "us-east-1"
	_, err = eks.NewFromConfig(other).DescribeCluster(ctxT(t), &eks.DescribeClusterInput{Name: aws.String("prod")})
	var nf *ekstypes.ResourceNotFoundException
	if !asError(err, &nf) || aws.ToString(nf.ClusterName) != "prod" {
		t.Errorf("other region: %v", err)
	}
	_, err = eks.NewFromConfig(sdkConfig(t, sim, bobKey)).DescribeCluster(ctxT(t), &eks.DescribeClusterInput{Name: aws.String("prod")})
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "eks:DescribeCluster on resource: arn:aws:eks:eu-west-1:111122223333:cluster/prod") {
		t.Errorf("bob: %v", err)
	}
	bad := sdkConfig(t, sim, aliceKey)
	bad.Credentials = staticCreds(aliceKey, "wrong")
	_, err = eks.NewFromConfig(bad).DescribeCluster(ctxT(t), &eks.DescribeClusterInput{Name: aws.String("prod")})
	if apiCode(err) != "InvalidSignatureException" {
		t.Errorf("wrong secret on a JSON service: %v", err)
	}
}

func TestEKSAccessEntries(t *testing.T) {
	sim := startSim(t)
	client := eks.NewFromConfig(sdkConfig(t, sim, aliceKey))
	ctx := ctxT(t)
	list, err := client.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	deployer := "arn:aws:iam::111122223333:role/platform/kaji-deployer"
	if len(list.AccessEntries) != 3 || list.AccessEntries[0] != deployer {
		t.Errorf("entries = %q", list.AccessEntries)
	}
	entry, err := client.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String(deployer)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(entry.AccessEntry.Username); got != "arn:aws:sts::111122223333:assumed-role/kaji-deployer/{{SessionName}}" {
		t.Errorf("default username = %s", got)
	}
	if aws.ToString(entry.AccessEntry.Type) != "STANDARD" {
		t.Errorf("type = %s", aws.ToString(entry.AccessEntry.Type))
	}
	pol, err := client.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String("arn:aws:iam::111122223333:user/carol")})
	if err != nil {
		t.Fatal(err)
	}
	if len(pol.AssociatedAccessPolicies) != 1 {
		t.Fatalf("policies = %+v", pol.AssociatedAccessPolicies)
	}
	p := pol.AssociatedAccessPolicies[0]
	if aws.ToString(p.PolicyArn) != "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy" ||
		p.AccessScope.Type != ekstypes.AccessScopeTypeNamespace || !slices.Equal(p.AccessScope.Namespaces, []string{"team-a"}) {
		t.Errorf("policy = %s %s %v", aws.ToString(p.PolicyArn), p.AccessScope.Type, p.AccessScope.Namespaces)
	}

	// The entry is found by its exact ARN, path included.
	_, err = client.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("prod"), PrincipalArn: aws.String("arn:aws:iam::111122223333:role/kaji-deployer")})
	var nf *ekstypes.ResourceNotFoundException
	if !asError(err, &nf) {
		t.Errorf("entry without path: %v", err)
	}
	_, err = client.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("legacy")})
	var ir *ekstypes.InvalidRequestException
	if !asError(err, &ir) || !strings.Contains(err.Error(), "authentication mode") {
		t.Errorf("CONFIG_MAP cluster: %v", err)
	}
}
