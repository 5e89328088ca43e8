package awssim

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/iampolicy"
)

// Fixture describes the AWS world the simulator serves: accounts with their IAM users and
// roles, and EKS clusters. See testdata/fixture.yaml for a commented example.
type Fixture struct {
	Accounts []Account       `json:"accounts"`
	Clusters []ClusterConfig `json:"clusters,omitempty"`
	// AccessPolicyGroups maps an EKS access policy name (the last part of its ARN, such as
	// AmazonEKSClusterAdminPolicy) to the Kubernetes group the token webhook puts its
	// holders in and the ClusterRole BindAccessPolicies binds that group to. It adds to and
	// overrides DefaultAccessPolicyGroups.
	AccessPolicyGroups map[string]AccessPolicyGroup `json:"accessPolicyGroups,omitempty"`
	// Parameters are SSM Parameter Store parameters and Secrets are Secrets Manager
	// secrets (see secretstore.go).
	Parameters []Parameter `json:"parameters,omitempty"`
	Secrets    []Secret    `json:"secrets,omitempty"`
	// KMSKeys are symmetric AWS KMS keys (see kmskeys.go).
	KMSKeys []KMSKey `json:"kmsKeys,omitempty"`
}

// Account is one AWS account.
type Account struct {
	// ID is the 12-digit account id; quote it in YAML.
	ID    string `json:"id"`
	Users []User `json:"users,omitempty"`
	Roles []Role `json:"roles,omitempty"`
}

// User is an IAM user.
type User struct {
	Name string `json:"name"`
	// Path defaults to "/".
	Path       string      `json:"path,omitempty"`
	AccessKeys []AccessKey `json:"accessKeys,omitempty"`
	// Policies are the user's identity policies.
	Policies []Policy `json:"policies,omitempty"`
}

// AccessKey is a long-term access key pair of a user.
type AccessKey struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// Role is an IAM role.
type Role struct {
	Name string `json:"name"`
	// Path defaults to "/". It is part of the role's ARN but not of its sessions' ARNs.
	Path        string         `json:"path,omitempty"`
	TrustPolicy PolicyDocument `json:"trustPolicy"`
	// Policies are the role's identity policies.
	Policies []Policy `json:"policies,omitempty"`
	// MaxSessionDuration is in seconds; default 3600.
	MaxSessionDuration int32 `json:"maxSessionDuration,omitempty"`
}

// Policy is a named identity policy.
type Policy struct {
	Name     string         `json:"name"`
	Document PolicyDocument `json:"document"`
}

// PolicyDocument is an IAM policy document, written in the fixture either as a YAML/JSON
// object or as a string holding JSON.
type PolicyDocument struct {
	JSON   json.RawMessage
	Parsed *iampolicy.Policy
}

// UnmarshalJSON accepts an object or a string of JSON.
func (d *PolicyDocument) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		data = []byte(s)
	}
	p, err := iampolicy.Parse(data)
	if err != nil {
		return err
	}
	d.JSON, d.Parsed = append(json.RawMessage(nil), data...), p
	return nil
}

// MarshalJSON writes the document as it was given.
func (d PolicyDocument) MarshalJSON() ([]byte, error) {
	if d.JSON == nil {
		return []byte("null"), nil
	}
	return d.JSON, nil
}

// Authentication modes of an EKS cluster (accessConfig.authenticationMode).
const (
	ModeConfigMap       = "CONFIG_MAP"
	ModeAPIAndConfigMap = "API_AND_CONFIG_MAP"
	ModeAPI             = "API"
)

// ClusterConfig is an EKS cluster.
type ClusterConfig struct {
	Name    string `json:"name"`
	Account string `json:"account"`
	Region  string `json:"region"`
	// Version is the Kubernetes version; default "1.33".
	Version string `json:"version,omitempty"`
	// Endpoint is the API server URL DescribeCluster reports. Tests usually set it at run
	// time with Server.SetClusterEndpoint, pointing it at a local kube-apiserver.
	Endpoint string `json:"endpoint,omitempty"`
	// CertificateAuthority is the PEM CA of the endpoint (DescribeCluster reports it base64).
	CertificateAuthority string `json:"certificateAuthority,omitempty"`
	// AuthenticationMode is CONFIG_MAP, API_AND_CONFIG_MAP (default) or API.
	AuthenticationMode    string              `json:"authenticationMode,omitempty"`
	EndpointPublicAccess  *bool               `json:"endpointPublicAccess,omitempty"`  // default true
	EndpointPrivateAccess *bool               `json:"endpointPrivateAccess,omitempty"` // default false
	PublicAccessCidrs     []string            `json:"publicAccessCidrs,omitempty"`     // default 0.0.0.0/0
	AccessEntries         []AccessEntryConfig `json:"accessEntries,omitempty"`
}

// AccessEntryConfig is an EKS access entry.
type AccessEntryConfig struct {
	// PrincipalARN is the IAM user or role ARN, with the role's path as IAM reports it.
	PrincipalARN string `json:"principalArn"`
	// Username defaults, as in EKS, to the user ARN for users and to
	// arn:aws:sts::ACCOUNT:assumed-role/NAME/{{SessionName}} for roles.
	Username         string   `json:"username,omitempty"`
	KubernetesGroups []string `json:"kubernetesGroups,omitempty"`
	// Type defaults to STANDARD.
	Type           string                    `json:"type,omitempty"`
	AccessPolicies []AccessPolicyAssociation `json:"accessPolicies,omitempty"`
}

// AccessPolicyAssociation associates an EKS access policy with an access entry.
type AccessPolicyAssociation struct {
	// PolicyARN is arn:aws:eks::aws:cluster-access-policy/NAME.
	PolicyARN   string      `json:"policyArn"`
	AccessScope AccessScope `json:"accessScope"`
}

// AccessScope is "cluster" or "namespace" with namespaces.
type AccessScope struct {
	Type       string   `json:"type"`
	Namespaces []string `json:"namespaces,omitempty"`
}

// AccessPolicyGroup is how the simulator turns an EKS access policy into Kubernetes RBAC,
// which stands in for EKS's own authorizer.
type AccessPolicyGroup struct {
	// Group is put in the user's groups. Namespace-scoped associations get Group + ":" +
	// namespace instead, one per namespace.
	Group string `json:"group"`
	// ClusterRole is what the group is bound to (cluster-wide or in each namespace).
	ClusterRole string `json:"clusterRole"`
}

// DefaultAccessPolicyGroups maps the common EKS access policies to the built-in ClusterRoles
// that match them most closely.
func DefaultAccessPolicyGroups() map[string]AccessPolicyGroup {
	return map[string]AccessPolicyGroup{
		"AmazonEKSClusterAdminPolicy": {Group: "awssim:AmazonEKSClusterAdminPolicy", ClusterRole: "cluster-admin"},
		"AmazonEKSAdminPolicy":        {Group: "awssim:AmazonEKSAdminPolicy", ClusterRole: "admin"},
		"AmazonEKSEditPolicy":         {Group: "awssim:AmazonEKSEditPolicy", ClusterRole: "edit"},
		"AmazonEKSViewPolicy":         {Group: "awssim:AmazonEKSViewPolicy", ClusterRole: "view"},
	}
}

// LoadFixture reads a fixture file.
func LoadFixture(path string) (*Fixture, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read simulator fixture: %w", err)
	}
	f, err := ParseFixture(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ParseFixture decodes a YAML fixture strictly and checks it.
func ParseFixture(data []byte) (*Fixture, error) {
	var f Fixture
	if err := yaml.UnmarshalStrict(data, &f); err != nil {
		return nil, fmt.Errorf("decode simulator fixture: %w", err)
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	iamNamePattern   = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

func (f *Fixture) validate() error {
	var errs []error
	accounts := map[string]bool{}
	keys := map[string]bool{}
	for i := range f.Accounts {
		a := &f.Accounts[i]
		if !accountIDPattern.MatchString(a.ID) {
			errs = append(errs, fmt.Errorf("accounts[%d]: id %q: want 12 digits, quoted", i, a.ID))
		}
		if accounts[a.ID] {
			errs = append(errs, fmt.Errorf("accounts[%d]: duplicate id %s", i, a.ID))
		}
		accounts[a.ID] = true
		for j := range a.Users {
			u := &a.Users[j]
			u.Path = defaultPath(u.Path)
			errs = append(errs, checkName("user", u.Name, u.Path)...)
			for _, k := range u.AccessKeys {
				if k.ID == "" || k.Secret == "" {
					errs = append(errs, fmt.Errorf("user %s: access keys need an id and a secret", u.Name))
				}
				if keys[k.ID] {
					errs = append(errs, fmt.Errorf("user %s: access key %s is used twice", u.Name, k.ID))
				}
				keys[k.ID] = true
			}
		}
		for j := range a.Roles {
			r := &a.Roles[j]
			r.Path = defaultPath(r.Path)
			errs = append(errs, checkName("role", r.Name, r.Path)...)
			if r.TrustPolicy.Parsed == nil {
				errs = append(errs, fmt.Errorf("role %s: trustPolicy is required", r.Name))
			}
			if r.MaxSessionDuration == 0 {
				r.MaxSessionDuration = 3600
			}
		}
	}
	clusters := map[string]bool{}
	for i := range f.Clusters {
		c := &f.Clusters[i]
		if c.Name == "" || c.Region == "" {
			errs = append(errs, fmt.Errorf("clusters[%d]: name and region are required", i))
		}
		if clusters[c.Region+"/"+c.Name] {
			errs = append(errs, fmt.Errorf("clusters[%d]: duplicate cluster %s in %s", i, c.Name, c.Region))
		}
		clusters[c.Region+"/"+c.Name] = true
		if !accounts[c.Account] {
			errs = append(errs, fmt.Errorf("cluster %s: account %q is not in accounts", c.Name, c.Account))
		}
		if c.Version == "" {
			c.Version = "1.33"
		}
		switch c.AuthenticationMode {
		case "":
			c.AuthenticationMode = ModeAPIAndConfigMap
		case ModeConfigMap, ModeAPIAndConfigMap, ModeAPI:
		default:
			errs = append(errs, fmt.Errorf("cluster %s: authenticationMode %q: want CONFIG_MAP, API_AND_CONFIG_MAP or API", c.Name, c.AuthenticationMode))
		}
		for j := range c.AccessEntries {
			e := &c.AccessEntries[j]
			if e.Type == "" {
				e.Type = "STANDARD"
			}
			if _, err := parseIAMARN(e.PrincipalARN); err != nil {
				errs = append(errs, fmt.Errorf("cluster %s: access entry %d: %w", c.Name, j, err))
			}
			for _, ap := range e.AccessPolicies {
				if ap.AccessScope.Type != "cluster" && ap.AccessScope.Type != "namespace" {
					errs = append(errs, fmt.Errorf("cluster %s: access entry %s: accessScope.type %q: want cluster or namespace", c.Name, e.PrincipalARN, ap.AccessScope.Type))
				}
				if !strings.HasPrefix(ap.PolicyARN, "arn:aws:eks::aws:cluster-access-policy/") {
					errs = append(errs, fmt.Errorf("cluster %s: access entry %s: policyArn %q: want arn:aws:eks::aws:cluster-access-policy/NAME", c.Name, e.PrincipalARN, ap.PolicyARN))
				}
			}
		}
	}
	errs = append(errs, f.checkSecretStore()...)
	errs = append(errs, f.checkKMSKeys()...)
	return errors.Join(errs...)
}

func defaultPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

func checkName(kind, name, path string) []error {
	var errs []error
	if !iamNamePattern.MatchString(name) {
		errs = append(errs, fmt.Errorf("%s name %q: want 1-64 of [A-Za-z0-9+=,.@_-]", kind, name))
	}
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") {
		errs = append(errs, fmt.Errorf("%s %s: path %q must start and end with /", kind, name, path))
	}
	return errs
}
