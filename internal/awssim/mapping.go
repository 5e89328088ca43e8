package awssim

import (
	"fmt"
	"slices"
	"strings"

	"kaji.dev/kaji/internal/eks/awsauth"
)

// Identity is the AWS identity behind a verified EKS token.
type Identity struct {
	// ARN is what sts:GetCallerIdentity returned.
	ARN string
	// CanonicalARN is ARN with an assumed-role session turned into its role's ARN, without
	// the role's path (see CanonicalARN).
	CanonicalARN string
	Account      string
	// UserID is the unique id of the user or role (AIDA..., AROA...).
	UserID string
	// SessionName is the role session name; empty for users.
	SessionName string
	AccessKeyID string
}

// AWSAuth is the content of the aws-auth ConfigMap in kube-system (see package awsauth).
type AWSAuth = awsauth.AWSAuth

// RoleMapping is one mapRoles entry.
type RoleMapping = awsauth.RoleMapping

// UserMapping is one mapUsers entry.
type UserMapping = awsauth.UserMapping

// ParseAWSAuth reads the data of an aws-auth ConfigMap, whose keys each hold YAML.
func ParseAWSAuth(data map[string]string) (AWSAuth, error) { return awsauth.Parse(data) }

// Mapping is how an identity maps to a Kubernetes user, or why it does not.
type Mapping struct {
	Authenticated bool
	Username      string
	UID           string
	Groups        []string
	Extra         map[string][]string
	// Source says what matched: "access entry ARN" or "aws-auth mapRoles ARN", say.
	Source string
	// Reason says why the identity is not authenticated.
	Reason string
}

// MapInput is everything the mapping of one identity depends on.
type MapInput struct {
	Identity Identity
	// Mode is the cluster's authentication mode.
	Mode string
	// AWSAuth is the aws-auth ConfigMap; nil when it does not exist.
	AWSAuth *AWSAuth
	// AccessEntries are the cluster's access entries.
	AccessEntries []AccessEntryConfig
	// PolicyGroups turn access policies into groups.
	PolicyGroups map[string]AccessPolicyGroup
}

// MapIdentity maps an AWS identity to a Kubernetes user the way EKS does:
//
//   - API and API_AND_CONFIG_MAP clusters look up access entries first. An entry for a role
//     matches the role's sessions whatever the role's path; its groups are its
//     kubernetesGroups plus one group per associated access policy (see AccessPolicyGroup).
//   - CONFIG_MAP and API_AND_CONFIG_MAP clusters then look up aws-auth: mapRoles by the
//     canonical ARN (so a rolearn that includes the role's path, or an assumed-role ARN,
//     never matches), mapUsers by the user ARN, then mapAccounts.
//   - Usernames may use {{AccountID}}, {{SessionName}} ("@" becomes "-"),
//     {{SessionNameRaw}} and {{AccessKeyID}}.
//
// Anything unmapped is not authenticated, which the API server answers with 401.
func MapIdentity(in MapInput) Mapping {
	id := in.Identity
	var tried []string
	if in.Mode == ModeAPI || in.Mode == ModeAPIAndConfigMap {
		tried = append(tried, "access entries")
		if e, ok := matchEntry(in.AccessEntries, id); ok {
			groups := slices.Clone(e.KubernetesGroups)
			groups = append(groups, policyGroups(e, in.PolicyGroups)...)
			return mapped(id, entryUsername(e), groups, "access entry "+e.PrincipalARN)
		}
	}
	if in.Mode == ModeConfigMap || in.Mode == ModeAPIAndConfigMap {
		tried = append(tried, "aws-auth")
		if in.AWSAuth != nil {
			if m, ok := matchAWSAuth(*in.AWSAuth, id); ok {
				return m
			}
		}
	}
	return Mapping{Reason: fmt.Sprintf("%s (canonical %s) is not mapped in %s of this %s cluster",
		id.ARN, id.CanonicalARN, strings.Join(tried, " or "), in.Mode)}
}

func matchEntry(entries []AccessEntryConfig, id Identity) (AccessEntryConfig, bool) {
	for _, e := range entries {
		p, err := parseIAMARN(e.PrincipalARN)
		if err != nil {
			continue
		}
		target := e.PrincipalARN
		if p.Kind == "role" {
			// Access entries name the role with its path; sessions carry no path.
			target = roleARN(p.Account, "/", p.Name)
		}
		if target == id.CanonicalARN {
			return e, true
		}
	}
	return AccessEntryConfig{}, false
}

func matchAWSAuth(a AWSAuth, id Identity) (Mapping, bool) {
	m, ok := a.Lookup(id.CanonicalARN, id.Account)
	if !ok {
		return Mapping{}, false
	}
	return mapped(id, orDefault(m.Username, id.CanonicalARN), m.Groups, "aws-auth "+m.Key+" "+m.ARN), true
}

func mapped(id Identity, usernameTemplate string, groups []string, source string) Mapping {
	username, err := renderUsername(usernameTemplate, id)
	if err != nil {
		return Mapping{Reason: fmt.Sprintf("%s matched %s but %v", id.ARN, source, err)}
	}
	extra := map[string][]string{
		"arn":          {id.ARN},
		"canonicalArn": {id.CanonicalARN},
		"accessKeyId":  {id.AccessKeyID},
		"principalId":  {id.UserID},
	}
	if id.SessionName != "" {
		extra["sessionName"] = []string{id.SessionName}
	}
	return Mapping{
		Authenticated: true,
		Username:      username,
		UID:           "aws-iam-authenticator:" + id.Account + ":" + id.UserID,
		Groups:        slices.Clone(groups),
		Extra:         extra,
		Source:        source,
	}
}

func renderUsername(t string, id Identity) (string, error) {
	if strings.Contains(t, "{{EC2PrivateDNSName}}") {
		return "", fmt.Errorf("username %q uses {{EC2PrivateDNSName}}, which the simulator cannot resolve", t)
	}
	r := strings.NewReplacer(
		"{{AccountID}}", id.Account,
		"{{SessionNameRaw}}", id.SessionName,
		"{{SessionName}}", strings.ReplaceAll(id.SessionName, "@", "-"),
		"{{AccessKeyID}}", id.AccessKeyID,
	)
	return r.Replace(t), nil
}

// policyGroups lists the groups an entry's access policies stand for.
func policyGroups(e AccessEntryConfig, groups map[string]AccessPolicyGroup) []string {
	var out []string
	for _, ap := range e.AccessPolicies {
		name := ap.PolicyARN[strings.LastIndexByte(ap.PolicyARN, '/')+1:]
		g, ok := groups[name]
		if !ok {
			continue
		}
		if ap.AccessScope.Type == "namespace" {
			for _, ns := range ap.AccessScope.Namespaces {
				out = append(out, g.Group+":"+ns)
			}
			continue
		}
		out = append(out, g.Group)
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
