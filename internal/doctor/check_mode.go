package doctor

import (
	"context"
	"fmt"
)

// Authentication modes of an EKS cluster (accessConfig.authenticationMode).
const (
	ModeConfigMap       = "CONFIG_MAP"
	ModeAPIAndConfigMap = "API_AND_CONFIG_MAP"
	ModeAPI             = "API"
)

// modeCheck reports the cluster's authentication mode: where EKS looks up the identity.
func modeCheck(_ context.Context, s *State) Finding {
	if s.EKS == nil {
		return skipped("not an EKS cluster")
	}
	if s.Cluster == nil {
		return skipped("needs eks:DescribeCluster (see cluster)")
	}
	c := s.Cluster
	switch c.AuthenticationMode {
	case ModeAPI:
		return ok("API: EKS maps identities through access entries only; aws-auth is ignored")
	case ModeAPIAndConfigMap:
		return ok("API_AND_CONFIG_MAP: EKS looks up access entries first, then aws-auth")
	case ModeConfigMap:
		return Finding{Status: Warn, Summary: "CONFIG_MAP: EKS maps identities through the aws-auth ConfigMap only, which AWS has deprecated",
			Fix: &Fix{Summary: "move to access entries: first allow both (aws-auth keeps working), create access entries, then drop aws-auth with authenticationMode=API; the change cannot be undone",
				Commands: []string{fmt.Sprintf("aws eks update-cluster-config --name %s --region %s --access-config authenticationMode=API_AND_CONFIG_MAP", c.Name, c.Region)}}}
	case "":
		return Finding{Status: Unknown, Summary: "DescribeCluster reported no authentication mode; clusters created before access entries existed are CONFIG_MAP"}
	}
	return Finding{Status: Unknown, Summary: fmt.Sprintf("authentication mode %q is not one kaji knows", c.AuthenticationMode)}
}
