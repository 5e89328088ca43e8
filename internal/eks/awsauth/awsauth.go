package awsauth

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// The ConfigMap EKS reads mappings from.
const (
	Namespace = "kube-system"
	Name      = "aws-auth"
)

// AWSAuth is the content of the aws-auth ConfigMap in kube-system.
type AWSAuth struct {
	MapRoles    []RoleMapping `json:"mapRoles,omitempty"`
	MapUsers    []UserMapping `json:"mapUsers,omitempty"`
	MapAccounts []string      `json:"mapAccounts,omitempty"`
}

// RoleMapping is one mapRoles entry.
type RoleMapping struct {
	RoleARN  string   `json:"rolearn"`
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// UserMapping is one mapUsers entry.
type UserMapping struct {
	UserARN  string   `json:"userarn"`
	Username string   `json:"username,omitempty"`
	Groups   []string `json:"groups,omitempty"`
}

// Parse reads the data of an aws-auth ConfigMap, whose keys each hold YAML.
func Parse(data map[string]string) (AWSAuth, error) {
	var a AWSAuth
	if err := yaml.Unmarshal([]byte(data["mapRoles"]), &a.MapRoles); err != nil {
		return AWSAuth{}, fmt.Errorf("aws-auth mapRoles: %w", err)
	}
	if err := yaml.Unmarshal([]byte(data["mapUsers"]), &a.MapUsers); err != nil {
		return AWSAuth{}, fmt.Errorf("aws-auth mapUsers: %w", err)
	}
	if err := yaml.Unmarshal([]byte(data["mapAccounts"]), &a.MapAccounts); err != nil {
		return AWSAuth{}, fmt.Errorf("aws-auth mapAccounts: %w", err)
	}
	return a, nil
}

// Data renders a as ConfigMap data.
func (a AWSAuth) Data() (map[string]string, error) {
	out := map[string]string{}
	for _, field := range []struct {
		key   string
		value any
		empty bool
	}{
		{"mapRoles", a.MapRoles, len(a.MapRoles) == 0},
		{"mapUsers", a.MapUsers, len(a.MapUsers) == 0},
		{"mapAccounts", a.MapAccounts, len(a.MapAccounts) == 0},
	} {
		if field.empty {
			continue
		}
		b, err := yaml.Marshal(field.value)
		if err != nil {
			return nil, fmt.Errorf("encode aws-auth %s: %w", field.key, err)
		}
		out[field.key] = string(b)
	}
	return out, nil
}

// Match is the aws-auth entry an identity maps through.
type Match struct {
	// Key is mapRoles, mapUsers or mapAccounts.
	Key string
	// ARN is the entry's rolearn or userarn as written; the account for mapAccounts.
	ARN string
	// Username is the entry's username template; empty means the canonical ARN.
	Username string
	Groups   []string
}

// Lookup finds the entry of a that maps the identity with canonicalARN (see CanonicalARN)
// in account, as aws-iam-authenticator does: mapRoles, then mapUsers, by the canonical ARN
// ignoring case, then mapAccounts.
func (a AWSAuth) Lookup(canonicalARN, account string) (Match, bool) {
	canonical := strings.ToLower(canonicalARN)
	for _, r := range a.MapRoles {
		if strings.ToLower(r.RoleARN) == canonical {
			return Match{Key: "mapRoles", ARN: r.RoleARN, Username: r.Username, Groups: slices.Clone(r.Groups)}, true
		}
	}
	for _, u := range a.MapUsers {
		if strings.ToLower(u.UserARN) == canonical {
			return Match{Key: "mapUsers", ARN: u.UserARN, Username: u.Username, Groups: slices.Clone(u.Groups)}, true
		}
	}
	if slices.Contains(a.MapAccounts, account) {
		return Match{Key: "mapAccounts", ARN: account}, true
	}
	return Match{}, false
}

// ParseManifest reads aws-auth as `kubectl -n kube-system get configmap aws-auth -o yaml`
// prints it, or just its data (mapRoles, mapUsers, mapAccounts).
func ParseManifest(text []byte) (AWSAuth, error) {
	var cm struct {
		Kind string            `json:"kind"`
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal(text, &cm); err != nil {
		return AWSAuth{}, fmt.Errorf("read aws-auth: %w", err)
	}
	if cm.Kind == "" && cm.Data == nil {
		if err := yaml.Unmarshal(text, &cm.Data); err != nil {
			return AWSAuth{}, fmt.Errorf("read aws-auth: %w", err)
		}
	} else if cm.Kind != "ConfigMap" {
		return AWSAuth{}, fmt.Errorf("read aws-auth: want a ConfigMap, got kind %q", cm.Kind)
	}
	return Parse(cm.Data)
}
