package doctor

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/eks/awsauth"
)

// awsAuthAnalysis is how aws-auth treats one identity.
type awsAuthAnalysis struct {
	// Match is the entry EKS maps the identity through; nil when none does.
	Match *awsauth.Match
	// CaseDiffers: the matching entry's ARN differs from the canonical ARN in case only.
	CaseDiffers bool
	// Misses are entries written for the identity that EKS will never match.
	Misses []awsAuthMiss
}

// awsAuthMiss is an entry meant for the identity that does not match it.
type awsAuthMiss struct {
	// Key is mapRoles or mapUsers; Index the entry's position there.
	Key   string
	Index int
	ARN   string
	// Reason says why it does not match.
	Reason string
}

// analyzeAWSAuth looks for the entry that maps an identity whose canonical ARN (see
// awsauth.CanonicalARN) is canonical, and for entries that were meant for it but do not match:
// the role's path left in, the STS assumed-role ARN instead of the role's, the wrong account.
func analyzeAWSAuth(a awsauth.AWSAuth, canonical, account string) awsAuthAnalysis {
	var out awsAuthAnalysis
	if m, ok := a.Lookup(canonical, account); ok {
		out.Match = &m
		out.CaseDiffers = m.Key != "mapAccounts" && m.ARN != canonical
	}
	want, err := awsauth.ParsePrincipalARN(canonical)
	if err != nil {
		return out
	}
	check := func(key string, i int, arn string) {
		if out.Match != nil && strings.EqualFold(arn, out.Match.ARN) {
			return
		}
		got, err := awsauth.ParsePrincipalARN(strings.TrimSpace(arn))
		if err != nil {
			return
		}
		sameName := strings.EqualFold(got.Name, want.Name)
		var reason string
		switch {
		case !sameName:
			return
		case got.Kind == "assumed-role" && want.Kind == "role":
			reason = fmt.Sprintf("is an STS assumed-role (session) ARN; EKS compares the role's ARN, %s", canonical)
		case got.Kind != want.Kind:
			return
		case got.Account != want.Account:
			reason = fmt.Sprintf("is in account %s, you in %s", got.Account, want.Account)
		case want.Kind == "role" && got.Path != "/":
			reason = fmt.Sprintf("includes the role's path %s; EKS compares the role ARN without its path (session ARNs do not carry it), %s", got.Path, canonical)
		case want.Kind == "user" && got.Path != want.Path:
			reason = fmt.Sprintf("has the path %s, the user's is %s", got.Path, want.Path)
		case arn != strings.TrimSpace(arn):
			reason = "has spaces around the ARN"
		default:
			return
		}
		out.Misses = append(out.Misses, awsAuthMiss{Key: key, Index: i, ARN: arn, Reason: reason})
	}
	for i, r := range a.MapRoles {
		check("mapRoles", i, r.RoleARN)
	}
	for i, u := range a.MapUsers {
		check("mapUsers", i, u.UserARN)
	}
	return out
}

// corrected returns a with the missed entries fixed, or, when there are none, an entry for
// the identity added.
func (an awsAuthAnalysis) corrected(a awsauth.AWSAuth, sess *Session) awsauth.AWSAuth {
	out := awsauth.AWSAuth{MapRoles: slices.Clone(a.MapRoles), MapUsers: slices.Clone(a.MapUsers), MapAccounts: slices.Clone(a.MapAccounts)}
	if an.Match != nil && an.CaseDiffers {
		for i, r := range out.MapRoles {
			if strings.EqualFold(r.RoleARN, sess.Canonical) {
				out.MapRoles[i].RoleARN = sess.Canonical
			}
		}
		for i, u := range out.MapUsers {
			if strings.EqualFold(u.UserARN, sess.Canonical) {
				out.MapUsers[i].UserARN = sess.Canonical
			}
		}
		return out
	}
	if len(an.Misses) > 0 {
		for _, m := range an.Misses {
			if m.Key == "mapRoles" {
				out.MapRoles[m.Index].RoleARN = sess.Canonical
			} else {
				out.MapUsers[m.Index].UserARN = sess.Canonical
			}
		}
		return out
	}
	if sess.IsRole() {
		out.MapRoles = append(out.MapRoles, newRoleMapping(sess))
	} else {
		out.MapUsers = append(out.MapUsers, awsauth.UserMapping{UserARN: sess.Canonical, Username: sess.Canonical, Groups: []string{suggestedGroup}})
	}
	return out
}

// suggestedGroup is the Kubernetes group kaji's fixes map its identity to and bind RBAC to.
const suggestedGroup = "kaji-deployers"

func newRoleMapping(sess *Session) awsauth.RoleMapping {
	return awsauth.RoleMapping{RoleARN: sess.Canonical, Username: "kaji:{{SessionName}}", Groups: []string{suggestedGroup}}
}

// configMapYAML renders aws-auth as a ConfigMap to apply.
func configMapYAML(a awsauth.AWSAuth) (string, error) {
	data, err := a.Data()
	if err != nil {
		return "", err
	}
	out, err := yaml.Marshal(map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]string{"name": awsauth.Name, "namespace": awsauth.Namespace},
		"data":       data,
	})
	if err != nil {
		return "", fmt.Errorf("encode aws-auth: %w", err)
	}
	return string(out), nil
}

// mappingYAML renders one mapRoles or mapUsers entry.
func mappingYAML(key string, entry any) string {
	out, err := yaml.Marshal(map[string]any{key: []any{entry}})
	if err != nil {
		return "# " + err.Error()
	}
	return string(out)
}
