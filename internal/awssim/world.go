package awssim

import (
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"kaji.dev/kaji/internal/iampolicy"
)

// world is the simulator's mutable state: the fixture plus the sessions STS has issued.
type world struct {
	mu           sync.Mutex
	accounts     map[string]*Account
	keys         map[string]keyOwner
	sessions     map[string]*session
	clusters     []*ClusterConfig
	policyGroups map[string]AccessPolicyGroup
	store        *store
}

type keyOwner struct {
	account string
	user    *User
	secret  string
}

// session is a set of temporary credentials issued by AssumeRole.
type session struct {
	account     string
	role        *Role
	name        string
	secret      string
	token       string
	expires     time.Time
	sourceKeyID string
}

// caller is who signed a request.
type caller struct {
	account     string
	user        *User
	role        *Role
	session     string
	accessKeyID string
}

func newWorld(f *Fixture) *world {
	w := &world{
		accounts:     map[string]*Account{},
		keys:         map[string]keyOwner{},
		sessions:     map[string]*session{},
		policyGroups: DefaultAccessPolicyGroups(),
		store:        newStore(f),
	}
	for i := range f.Accounts {
		a := &f.Accounts[i]
		w.accounts[a.ID] = a
		for j := range a.Users {
			u := &a.Users[j]
			for _, k := range u.AccessKeys {
				w.keys[k.ID] = keyOwner{account: a.ID, user: u, secret: k.Secret}
			}
		}
	}
	for i := range f.Clusters {
		w.clusters = append(w.clusters, &f.Clusters[i])
	}
	maps.Copy(w.policyGroups, f.AccessPolicyGroups)
	return w
}

// ARN is the caller as GetCallerIdentity reports it.
func (c caller) ARN() string {
	if c.role != nil {
		return sessionARN(c.account, c.role.Name, c.session)
	}
	return userARN(c.account, c.user.Path, c.user.Name)
}

// UserID is GetCallerIdentity's UserId: AIDA... for users, AROA...:SESSION for role sessions.
func (c caller) UserID() string {
	if c.role != nil {
		return roleID(c.account, c.role) + ":" + c.session
	}
	return uniqueID("AIDA", userARN(c.account, c.user.Path, c.user.Name))
}

func roleID(account string, r *Role) string {
	return uniqueID("AROA", roleARN(account, r.Path, r.Name))
}

// principal is the caller for policy evaluation.
func (c caller) principal() iampolicy.Principal {
	if c.role != nil {
		return iampolicy.Principal{
			Type:    iampolicy.PrincipalRoleSession,
			ARN:     c.ARN(),
			RoleARN: roleARN(c.account, c.role.Path, c.role.Name),
			Account: c.account,
		}
	}
	return iampolicy.Principal{Type: iampolicy.PrincipalUser, ARN: c.ARN(), Account: c.account}
}

// policies are the caller's identity policies.
func (c caller) policies() []iampolicy.Named {
	var src []Policy
	if c.role != nil {
		src = c.role.Policies
	} else {
		src = c.user.Policies
	}
	out := make([]iampolicy.Named, 0, len(src))
	for _, p := range src {
		out = append(out, iampolicy.Named{Name: p.Name, Policy: p.Document.Parsed})
	}
	return out
}

// requestContext is the complete condition context AWS would build for a request by c.
func (c caller) requestContext(now time.Time, region, sourceIP string) iampolicy.Context {
	ctx := iampolicy.Context{Complete: true}
	p := c.principal()
	if c.role != nil {
		ctx.Set("aws:PrincipalArn", p.RoleARN)
		ctx.Set("aws:PrincipalType", "AssumedRole")
	} else {
		ctx.Set("aws:PrincipalArn", p.ARN)
		ctx.Set("aws:PrincipalType", "User")
		ctx.Set("aws:username", c.user.Name)
	}
	ctx.Set("aws:PrincipalAccount", c.account)
	ctx.Set("aws:userid", c.UserID())
	ctx.Set("aws:SecureTransport", "true")
	ctx.Set("aws:CurrentTime", now.UTC().Format(time.RFC3339))
	ctx.Set("aws:EpochTime", fmt.Sprint(now.Unix()))
	if region != "" {
		ctx.Set("aws:RequestedRegion", region)
	}
	if sourceIP != "" {
		ctx.Set("aws:SourceIp", sourceIP)
	}
	return ctx
}

// lookupKey finds the owner and secret of an access key. For temporary keys it also checks
// the session token and expiry; code is the AWS error code when that fails.
func (w *world) lookupKey(keyID, token string, now time.Time) (caller, string, authFailure) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if o, ok := w.keys[keyID]; ok {
		if token != "" {
			return caller{}, "", failInvalidToken
		}
		return caller{account: o.account, user: o.user, accessKeyID: keyID}, o.secret, authOK
	}
	s, ok := w.sessions[keyID]
	if !ok || token != s.token {
		return caller{}, "", failInvalidToken
	}
	if !now.Before(s.expires) {
		return caller{}, "", failExpiredToken
	}
	return caller{account: s.account, role: s.role, session: s.name, accessKeyID: keyID}, s.secret, authOK
}

// issueSession records new temporary credentials for role and returns their key id.
func (w *world) issueSession(account string, role *Role, name string, expires time.Time, sourceKeyID string) (string, *session) {
	s := &session{
		account:     account,
		role:        role,
		name:        name,
		secret:      rand.Text() + rand.Text(),
		token:       "IQoJsim" + strings.Repeat(rand.Text(), 6),
		expires:     expires,
		sourceKeyID: sourceKeyID,
	}
	keyID := "ASIA" + rand.Text()[:16]
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sessions[keyID] = s
	return keyID, s
}

// findRole finds a role by its full ARN, path included, as IAM and STS do.
func (w *world) findRole(arn string) (string, *Role, bool) {
	p, err := parseIAMARN(arn)
	if err != nil || p.Kind != "role" {
		return "", nil, false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	a, ok := w.accounts[p.Account]
	if !ok {
		return "", nil, false
	}
	for i := range a.Roles {
		r := &a.Roles[i]
		if r.Name == p.Name && r.Path == p.Path {
			return a.ID, r, true
		}
	}
	return "", nil, false
}

// findRoleByName finds a role in an account by name alone, as the IAM API does.
func (w *world) findRoleByName(account, name string) (*Role, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	a, ok := w.accounts[account]
	if !ok {
		return nil, false
	}
	for i := range a.Roles {
		if a.Roles[i].Name == name {
			return &a.Roles[i], true
		}
	}
	return nil, false
}

// principalByARN resolves a user or role ARN to a caller for policy simulation.
func (w *world) principalByARN(arn string) (caller, bool) {
	p, err := parseIAMARN(arn)
	if err != nil {
		return caller{}, false
	}
	switch p.Kind {
	case "role":
		acct, r, ok := w.findRole(arn)
		return caller{account: acct, role: r, session: "simulation"}, ok
	case "user":
		w.mu.Lock()
		defer w.mu.Unlock()
		if a, ok := w.accounts[p.Account]; ok {
			for i := range a.Users {
				if u := &a.Users[i]; u.Name == p.Name && u.Path == p.Path {
					return caller{account: a.ID, user: u}, true
				}
			}
		}
	}
	return caller{}, false
}

// cluster returns a copy of a cluster in a region.
func (w *world) cluster(region, name string) (ClusterConfig, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.clusters {
		if c.Name == name && c.Region == region {
			return cloneCluster(c), true
		}
	}
	return ClusterConfig{}, false
}

// clusterByName returns a copy of the only cluster with a name, whatever its region.
func (w *world) clusterByName(name string) (ClusterConfig, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var found []*ClusterConfig
	for _, c := range w.clusters {
		if c.Name == name {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return ClusterConfig{}, fmt.Errorf("no cluster %q in the fixture", name)
	case 1:
		return cloneCluster(found[0]), nil
	}
	return ClusterConfig{}, fmt.Errorf("cluster name %q is in several regions", name)
}

func (w *world) updateCluster(name string, fn func(*ClusterConfig)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.clusters {
		if c.Name == name {
			fn(c)
			return nil
		}
	}
	return fmt.Errorf("no cluster %q in the fixture", name)
}

func (w *world) updateRole(arn string, fn func(*Role)) error {
	p, err := parseIAMARN(arn)
	if err != nil || p.Kind != "role" {
		return fmt.Errorf("%q is not a role ARN", arn)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if a, ok := w.accounts[p.Account]; ok {
		for i := range a.Roles {
			if r := &a.Roles[i]; r.Name == p.Name && r.Path == p.Path {
				fn(r)
				return nil
			}
		}
	}
	return fmt.Errorf("no role %s in the fixture", arn)
}

func (w *world) updateUser(arn string, fn func(*User)) error {
	p, err := parseIAMARN(arn)
	if err != nil || p.Kind != "user" {
		return fmt.Errorf("%q is not a user ARN", arn)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if a, ok := w.accounts[p.Account]; ok {
		for i := range a.Users {
			if u := &a.Users[i]; u.Name == p.Name && u.Path == p.Path {
				fn(u)
				return nil
			}
		}
	}
	return fmt.Errorf("no user %s in the fixture", arn)
}

func (w *world) accessPolicyGroups() map[string]AccessPolicyGroup {
	w.mu.Lock()
	defer w.mu.Unlock()
	return maps.Clone(w.policyGroups)
}

func cloneCluster(c *ClusterConfig) ClusterConfig {
	out := *c
	out.PublicAccessCidrs = slices.Clone(c.PublicAccessCidrs)
	out.AccessEntries = make([]AccessEntryConfig, len(c.AccessEntries))
	for i, e := range c.AccessEntries {
		e.KubernetesGroups = slices.Clone(e.KubernetesGroups)
		e.AccessPolicies = slices.Clone(e.AccessPolicies)
		out.AccessEntries[i] = e
	}
	return out
}
