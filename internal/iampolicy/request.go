package iampolicy

import (
	"maps"
	"slices"
	"strings"
)

// PrincipalType says what kind of caller a Principal is.
type PrincipalType string

// The kinds of caller the evaluator knows.
const (
	// PrincipalUser is an IAM user signing with its own access keys.
	PrincipalUser PrincipalType = "User"
	// PrincipalRoleSession is a role session (sts:AssumeRole, web identity, SSO).
	PrincipalRoleSession PrincipalType = "AssumedRole"
	// PrincipalAccountRoot is an account's root user.
	PrincipalAccountRoot PrincipalType = "Account"
	// PrincipalService is an AWS service such as eks.amazonaws.com.
	PrincipalService PrincipalType = "Service"
	// PrincipalFederated is a federated identity provider (OIDC, SAML).
	PrincipalFederated PrincipalType = "Federated"
)

// Principal is the caller a request is evaluated for.
type Principal struct {
	Type PrincipalType
	// ARN is the caller as STS reports it: a user ARN, an assumed-role session ARN
	// (arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION), an account root ARN, a service name
	// or a federated provider.
	ARN string
	// RoleARN is, for role sessions, the IAM ARN of the role including its path. Trust
	// policies that name a role match its sessions through it; it is also aws:PrincipalArn.
	RoleARN string
	// Account is the caller's 12-digit account id.
	Account string
}

// Request is one question: may Principal do Action on Resource?
type Request struct {
	Principal Principal
	// Action is service:Operation, as "sts:AssumeRole" or "eks:DescribeCluster".
	Action string
	// Resource is the ARN acted on. For resource policies, such as a role's trust policy,
	// it may be empty: the policy is attached to the resource and Resource elements, which
	// trust policies do not have, are then ignored.
	Resource string
	// Context holds the condition keys of the request.
	Context Context
}

// Context holds condition key values. Keys are compared case-insensitively.
//
// A key the evaluator cannot find is unknown, which makes conditions on it Unknown, unless
// Complete is set: then every key not set is known to be absent from the request, as it is
// for AWS itself. Absent marks single keys as known to be absent.
type Context struct {
	values   map[string][]string
	absent   map[string]bool
	Complete bool
}

// Set sets a key's values. Later calls replace earlier ones.
func (c *Context) Set(key string, values ...string) {
	if c.values == nil {
		c.values = map[string][]string{}
	}
	k := strings.ToLower(key)
	c.values[k] = values
	delete(c.absent, k)
}

// Absent marks keys as known to be missing from the request.
func (c *Context) Absent(keys ...string) {
	if c.absent == nil {
		c.absent = map[string]bool{}
	}
	for _, key := range keys {
		k := strings.ToLower(key)
		c.absent[k] = true
		delete(c.values, k)
	}
}

// Unset forgets what is known of keys: unless Complete is set, they are unknown again.
func (c *Context) Unset(keys ...string) {
	for _, key := range keys {
		k := strings.ToLower(key)
		delete(c.values, k)
		delete(c.absent, k)
	}
}

// Clone returns a copy of c that can be changed without changing c.
func (c Context) Clone() Context {
	out := Context{Complete: c.Complete}
	if c.values != nil {
		out.values = make(map[string][]string, len(c.values))
		for k, v := range c.values {
			out.values[k] = slices.Clone(v)
		}
	}
	if c.absent != nil {
		out.absent = maps.Clone(c.absent)
	}
	return out
}

// lookup returns a key's values, whether the key is present, and whether that is known.
func (c Context) lookup(key string) (values []string, present, known bool) {
	k := strings.ToLower(key)
	if v, ok := c.values[k]; ok {
		return v, len(v) > 0, true
	}
	if c.absent[k] || c.Complete {
		return nil, false, true
	}
	return nil, false, false
}
