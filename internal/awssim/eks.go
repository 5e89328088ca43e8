package awssim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// clusterCreatedAt is the createdAt of every simulated cluster and access entry (epoch seconds).
const clusterCreatedAt = 1704067200.0

// serveEKS routes the EKS REST-JSON operations kaji uses.
func (s *Server) serveEKS(w http.ResponseWriter, req *request) {
	segs, err := pathSegments(req.http.URL)
	if err != nil || len(segs) < 2 || segs[0] != "clusters" || req.http.Method != http.MethodGet {
		req.call.Action = req.http.Method + " " + req.http.URL.Path
		s.fail(w, req, &apiError{status: http.StatusNotFound, code: "UnknownOperationException",
			message: "the simulator serves DescribeCluster, ListAccessEntries, DescribeAccessEntry and ListAssociatedAccessPolicies"})
		return
	}
	name := segs[1]
	switch {
	case len(segs) == 2:
		req.call.Action = "DescribeCluster"
		s.describeCluster(w, req, name)
	case len(segs) == 3 && segs[2] == "access-entries":
		req.call.Action = "ListAccessEntries"
		s.listAccessEntries(w, req, name)
	case len(segs) == 4 && segs[2] == "access-entries":
		req.call.Action = "DescribeAccessEntry"
		s.describeAccessEntry(w, req, name, segs[3])
	case len(segs) == 5 && segs[2] == "access-entries" && segs[4] == "access-policies":
		req.call.Action = "ListAssociatedAccessPolicies"
		s.listAssociatedAccessPolicies(w, req, name, segs[3])
	default:
		req.call.Action = "GET " + req.http.URL.Path
		s.fail(w, req, &apiError{status: http.StatusNotFound, code: "UnknownOperationException",
			message: "the simulator serves DescribeCluster, ListAccessEntries, DescribeAccessEntry and ListAssociatedAccessPolicies"})
	}
}

// pathSegments splits the escaped path and unescapes each segment, so that an ARN sent as
// one %2F-encoded segment stays one.
func pathSegments(u *url.URL) ([]string, error) {
	var out []string
	for seg := range strings.SplitSeq(strings.Trim(u.EscapedPath(), "/"), "/") {
		v, err := url.PathUnescape(seg)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// findCluster authorizes action on the cluster and finds it in the caller's account and the
// signing region, as EKS only sees clusters there.
func (s *Server) findCluster(w http.ResponseWriter, req *request, action, name string) (ClusterConfig, bool) {
	arn := clusterARN(req.sig.region, req.caller.account, name)
	if e := s.authorize(req, action, arn); e != nil {
		s.fail(w, req, e)
		return ClusterConfig{}, false
	}
	c, ok := s.world.cluster(req.sig.region, name)
	if !ok || c.Account != req.caller.account {
		s.fail(w, req, &apiError{status: http.StatusNotFound, code: "ResourceNotFoundException",
			message: fmt.Sprintf("No cluster found for name: %s.", name), fields: map[string]string{"clusterName": name}})
		return ClusterConfig{}, false
	}
	return c, true
}

func (s *Server) describeCluster(w http.ResponseWriter, req *request, name string) {
	c, ok := s.findCluster(w, req, "eks:DescribeCluster", name)
	if !ok {
		return
	}
	cidrs := c.PublicAccessCidrs
	if len(cidrs) == 0 {
		cidrs = []string{"0.0.0.0/0"}
	}
	status := "ACTIVE"
	if c.Endpoint == "" {
		status = "CREATING"
	}
	req.succeed()
	writeJSON(w, req.requestID, http.StatusOK, map[string]any{"cluster": map[string]any{
		"name":            c.Name,
		"arn":             clusterARN(c.Region, c.Account, c.Name),
		"createdAt":       clusterCreatedAt,
		"version":         c.Version,
		"endpoint":        c.Endpoint,
		"roleArn":         roleARN(c.Account, "/", "eks-cluster-role"),
		"status":          status,
		"platformVersion": "eks.1",
		"certificateAuthority": map[string]string{
			"data": base64.StdEncoding.EncodeToString([]byte(c.CertificateAuthority)),
		},
		"resourcesVpcConfig": map[string]any{
			"subnetIds":              []string{"subnet-0sim0000000000001"},
			"securityGroupIds":       []string{},
			"clusterSecurityGroupId": "sg-0sim0000000000001",
			"vpcId":                  "vpc-0sim0000000000001",
			"endpointPublicAccess":   boolOr(c.EndpointPublicAccess, true),
			"endpointPrivateAccess":  boolOr(c.EndpointPrivateAccess, false),
			"publicAccessCidrs":      cidrs,
		},
		"kubernetesNetworkConfig": map[string]any{"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4"},
		"accessConfig": map[string]any{
			"bootstrapClusterCreatorAdminPermissions": false,
			"authenticationMode":                      c.AuthenticationMode,
		},
		"tags": map[string]string{},
	}})
}

// checkAPIMode fails access-entry calls on CONFIG_MAP clusters, as EKS does.
func (s *Server) checkAPIMode(w http.ResponseWriter, req *request, c ClusterConfig) bool {
	if c.AuthenticationMode == ModeConfigMap {
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "InvalidRequestException",
			message: "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
			fields:  map[string]string{"clusterName": c.Name}})
		return false
	}
	return true
}

func (s *Server) listAccessEntries(w http.ResponseWriter, req *request, name string) {
	c, ok := s.findCluster(w, req, "eks:ListAccessEntries", name)
	if !ok || !s.checkAPIMode(w, req, c) {
		return
	}
	arns := make([]string, 0, len(c.AccessEntries))
	for _, e := range c.AccessEntries {
		arns = append(arns, e.PrincipalARN)
	}
	req.succeed()
	writeJSON(w, req.requestID, http.StatusOK, map[string]any{"accessEntries": arns})
}

// findEntry authorizes action on an access entry and finds it by its exact principal ARN.
func (s *Server) findEntry(w http.ResponseWriter, req *request, action, name, principal string) (ClusterConfig, AccessEntryConfig, bool) {
	// Authorize against the cluster first; the entry's ARN needs the entry.
	c, ok := s.world.cluster(req.sig.region, name)
	visible := ok && c.Account == req.caller.account
	entryARN := accessEntryARN(req.sig.region, req.caller.account, name, principal)
	if e := s.authorize(req, action, entryARN); e != nil {
		s.fail(w, req, e)
		return ClusterConfig{}, AccessEntryConfig{}, false
	}
	if !visible {
		s.fail(w, req, &apiError{status: http.StatusNotFound, code: "ResourceNotFoundException",
			message: fmt.Sprintf("No cluster found for name: %s.", name), fields: map[string]string{"clusterName": name}})
		return ClusterConfig{}, AccessEntryConfig{}, false
	}
	if !s.checkAPIMode(w, req, c) {
		return ClusterConfig{}, AccessEntryConfig{}, false
	}
	for _, e := range c.AccessEntries {
		if e.PrincipalARN == principal {
			return c, e, true
		}
	}
	s.fail(w, req, &apiError{status: http.StatusNotFound, code: "ResourceNotFoundException",
		message: fmt.Sprintf("The specified access entry resource is not found. No access entry for principal %s in cluster %s.", principal, name),
		fields:  map[string]string{"clusterName": name}})
	return ClusterConfig{}, AccessEntryConfig{}, false
}

func (s *Server) describeAccessEntry(w http.ResponseWriter, req *request, name, principal string) {
	c, e, ok := s.findEntry(w, req, "eks:DescribeAccessEntry", name, principal)
	if !ok {
		return
	}
	groups := e.KubernetesGroups
	if groups == nil {
		groups = []string{}
	}
	req.succeed()
	writeJSON(w, req.requestID, http.StatusOK, map[string]any{"accessEntry": map[string]any{
		"clusterName":      c.Name,
		"principalArn":     e.PrincipalARN,
		"kubernetesGroups": groups,
		"accessEntryArn":   accessEntryARN(c.Region, c.Account, c.Name, e.PrincipalARN),
		"createdAt":        clusterCreatedAt,
		"modifiedAt":       clusterCreatedAt,
		"tags":             map[string]string{},
		"username":         entryUsername(e),
		"type":             orDefault(e.Type, "STANDARD"),
	}})
}

func (s *Server) listAssociatedAccessPolicies(w http.ResponseWriter, req *request, name, principal string) {
	c, e, ok := s.findEntry(w, req, "eks:ListAssociatedAccessPolicies", name, principal)
	if !ok {
		return
	}
	policies := make([]map[string]any, 0, len(e.AccessPolicies))
	for _, ap := range e.AccessPolicies {
		ns := ap.AccessScope.Namespaces
		if ns == nil {
			ns = []string{}
		}
		policies = append(policies, map[string]any{
			"policyArn":    ap.PolicyARN,
			"accessScope":  map[string]any{"type": ap.AccessScope.Type, "namespaces": ns},
			"associatedAt": clusterCreatedAt,
			"modifiedAt":   clusterCreatedAt,
		})
	}
	req.succeed()
	writeJSON(w, req.requestID, http.StatusOK, map[string]any{
		"clusterName": c.Name, "principalArn": e.PrincipalARN, "associatedAccessPolicies": policies,
	})
}

// accessEntryARN is arn:aws:eks:REGION:ACCOUNT:access-entry/CLUSTER/KIND/ACCOUNT/NAME/ID.
func accessEntryARN(region, account, cluster, principal string) string {
	kind, name := "principal", principal
	if p, err := parseIAMARN(principal); err == nil {
		kind, name = p.Kind, p.Name
	}
	return fmt.Sprintf("arn:aws:eks:%s:%s:access-entry/%s/%s/%s/%s/%s", region, account, cluster, kind, account, name,
		strings.ToLower(uniqueID("", principal))[:8])
}

// entryUsername is the username EKS shows for an access entry: the one given, else the user
// ARN for users and the session ARN template for roles.
func entryUsername(e AccessEntryConfig) string {
	if e.Username != "" {
		return e.Username
	}
	p, err := parseIAMARN(e.PrincipalARN)
	if err == nil && p.Kind == "role" {
		return sessionARN(p.Account, p.Name, "{{SessionName}}")
	}
	return e.PrincipalARN
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}
