package doctor

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"kaji.dev/kaji/internal/eks/awsauth"
	"kaji.dev/kaji/internal/iampolicy"
	"kaji.dev/kaji/internal/secrets"
)

// secretsCheck checks that the identities kaji reads secrets with may read what kaji.yaml
// names: ssm:GetParameters, secretsmanager:GetSecretValue and kms:Decrypt on the parameters,
// secrets and keys of its references and SOPS files, simulated with
// iam:SimulatePrincipalPolicy. It prints the policy that allows them.
type secretsCheck struct {
	load       func(ctx context.Context, region string, extra ...func(*config.LoadOptions) error) (aws.Config, error)
	sts        func(aws.Config) CallerIdentityAPI
	iam        func(aws.Config) RoleAPI
	parameters func(aws.Config) ParameterAPI
	secrets    func(aws.Config) SecretAPI
}

// reader is an identity that reads secrets for kaji, and what it needs.
type reader struct {
	// arn is the IAM user or role whose policies are simulated; empty when unknown.
	arn string
	// who names the identity in the finding.
	who string
	// account and region place the references that name neither.
	account, region string
	// callers are the sessions, of the reader's account, that ask IAM about it and describe
	// its parameters and secrets, tried in order.
	callers []*Session
	// problem says why its permissions cannot be simulated.
	problem string
	// policyName names the inline policy of the fix.
	policyName string

	needs []secrets.Need
	// probe is the resource simulated for a need's resource when AWS knows a more exact one: a
	// secret's ARN with its random suffix.
	probe map[string]string
	// optional are the resources whose denial only warns: KMS keys of SOPS files that other
	// keys can stand in for.
	optional map[string]bool
	results  map[string]iampolicy.Result
	// batch is the simulation of secretsmanager:BatchGetSecretValue, when secrets are read.
	batch *iampolicy.Result
	// broken are facts that make reading fail whatever the policies (no such parameter, no
	// region); unplaced are permissions doctor cannot write down (a key known by its alias);
	// notes are the rest.
	broken, unplaced, notes []string
	// keysUnknown: doctor could not learn whether some parameters or secrets are under a
	// customer managed KMS key.
	keysUnknown bool
}

func (r *reader) probeOf(n secrets.Need) string {
	if p, ok := r.probe[n.Resource]; ok {
		return p
	}
	return n.Resource
}

func (r *reader) result(n secrets.Need) (iampolicy.Result, bool) {
	res, ok := r.results[n.Action+"\x00"+r.probeOf(n)]
	return res, ok
}

func (c secretsCheck) run(ctx context.Context, s *State) Finding {
	inv := collectSecrets(s.Target.Resolved)
	if inv.empty() {
		return skipped("kaji.yaml has no reference to a secret in AWS and no SOPS file with an AWS KMS key", inv.notes...)
	}
	ambient, ambientProblem := c.ambient(ctx, s)
	if ambient == nil && !s.Target.viaEKS() {
		return noCredentials(inv, ambientProblem)
	}
	var readers []*reader
	if len(inv.refs) > 0 {
		r := c.refReader(s, ambient, ambientProblem)
		c.placeRefs(ctx, r, inv.refs)
		readers = append(readers, r)
	}
	for _, r := range c.keyReaders(ctx, s, ambient, ambientProblem, inv.keys) {
		readers = mergeReader(readers, r)
	}
	for _, r := range readers {
		c.simulate(ctx, r)
	}
	return secretsFinding(inv, readers)
}

// ambient is the identity of the AWS default credential chain, which SOPS decrypts with, and
// which reads references when kaji reaches the cluster through a kubeconfig.
func (c secretsCheck) ambient(ctx context.Context, s *State) (*Session, string) {
	if s.Target.viaEKS() {
		if s.Base == nil {
			return nil, "no usable AWS credentials (see aws-identity)"
		}
		return s.Base, ""
	}
	cfg, err := c.load(ctx, "")
	if err != nil {
		return nil, errorText(err)
	}
	sess, err := whoIs(ctx, c.sts(cfg), cfg)
	if err != nil {
		return nil, "sts:GetCallerIdentity: " + errorText(err)
	}
	if sess.IsRole() {
		roleSessionPath(ctx, c.iam(cfg), sess)
	}
	return sess, ""
}

// noCredentials is the finding for references that plan and apply will read with credentials
// there are none of.
func noCredentials(inv secretInventory, problem string) Finding {
	what := []string{}
	if n := len(inv.refs); n > 0 {
		what = append(what, fmt.Sprintf("%d reference(s) to secrets in AWS", n))
	}
	needed := len(inv.refs) > 0
	if n := len(inv.keys); n > 0 {
		what = append(what, fmt.Sprintf("%d AWS KMS key(s) of SOPS files", n))
		for _, k := range inv.keys {
			needed = needed || !k.key.OtherKeys
		}
	}
	f := Finding{Status: Fail, Summary: fmt.Sprintf("kaji.yaml has %s, but there are no AWS credentials to read them with: %s",
		strings.Join(what, " and "), problem), Evidence: inv.notes}
	f.Fix = &Fix{Summary: "kaji plan and apply read them with the AWS default credential chain: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and AWS_REGION (for an SSO profile, log in first), then run kaji doctor again to check the permissions",
		Commands: []string{"aws sso login", "aws sts get-caller-identity"}}
	if !needed {
		f.Status = Warn
		f.Summary += "; other keys of the SOPS files (age, PGP) can stand in"
	}
	return f
}

// refReader is the identity references are read with: cluster.eks.roleArn's role, else the
// caller's own identity.
func (c secretsCheck) refReader(s *State, ambient *Session, ambientProblem string) *reader {
	r := &reader{policyName: "kaji-secrets", probe: map[string]string{}, optional: map[string]bool{}}
	if ambient != nil {
		r.region = ambient.Config.Region
	}
	if !s.Target.viaEKS() {
		r.setSession(ambient, "you ("+ambient.IAMARN+", the AWS default credential chain)")
		return r
	}
	e := s.EKS
	r.region = e.Region
	if e.RoleARN == "" {
		if ambient == nil {
			r.who, r.problem = "your AWS identity", ambientProblem
			return r
		}
		r.setSession(ambient, "you ("+ambient.IAMARN+")")
		return r
	}
	role, err := awsauth.ParsePrincipalARN(e.RoleARN)
	if err != nil || role.Kind != "role" {
		r.who, r.problem = e.RoleARN, "cluster.eks.roleArn is not a role ARN (see role-trust)"
		return r
	}
	r.arn, r.account, r.who = e.RoleARN, role.Account, "the role "+e.RoleARN+" (cluster.eks.roleArn)"
	r.addCallers(ambient, s.Acting)
	if len(r.callers) == 0 {
		r.problem = "no AWS session of account " + role.Account + " to ask IAM with"
		if ambientProblem != "" {
			r.problem = ambientProblem
		}
	}
	return r
}

// setSession makes a session's user or role the reader.
func (r *reader) setSession(sess *Session, who string) {
	r.account, r.who = sess.Account, who
	r.addCallers(sess)
	if sess.PathKnown {
		r.arn = sess.IAMARN
		return
	}
	r.problem = "the path of your role " + sess.IAMARN + " is unknown (iam:GetRole was not allowed), and IAM simulates a role by its full ARN"
}

// addCallers adds the sessions of the reader's account, each once.
func (r *reader) addCallers(sessions ...*Session) {
	for _, sess := range sessions {
		if sess != nil && sess.Account == r.account && !slices.Contains(r.callers, sess) {
			r.callers = append(r.callers, sess)
		}
	}
}

// keyReaders are the identities that decrypt the data keys of SOPS files: the role a key
// names, the profile it names, else the AWS default credential chain, which SOPS uses even
// when kaji acts as cluster.eks.roleArn.
func (c secretsCheck) keyReaders(ctx context.Context, s *State, ambient *Session, ambientProblem string, keys []sopsKey) []*reader {
	var out []*reader
	byID := map[string]*reader{}
	for _, k := range keys {
		id, newReader := c.keyReader(ctx, s, ambient, ambientProblem, k)
		r, ok := byID[id]
		if !ok {
			r = newReader()
			byID[id] = r
			out = append(out, r)
		}
		if strings.Contains(k.key.ARN, ":alias/") {
			r.unplaced = append(r.unplaced, fmt.Sprintf("%s names its KMS key by the alias %s: allow kms:Decrypt on the key the alias points to (aws kms describe-key --key-id %s --query KeyMetadata.Arn)",
				k.label(), k.key.ARN, k.key.ARN))
			continue
		}
		r.needs = secrets.MergeNeeds(r.needs, []secrets.Need{secrets.DecryptNeed(k.key.ARN, k.label())})
		if opt, seen := r.optional[k.key.ARN]; !seen || opt {
			r.optional[k.key.ARN] = k.key.OtherKeys
		}
	}
	return out
}

// keyReader says who decrypts with k, as an id and a constructor.
func (c secretsCheck) keyReader(ctx context.Context, s *State, ambient *Session, ambientProblem string, k sopsKey) (string, func() *reader) {
	newReader := func() *reader {
		return &reader{policyName: "kaji-sops-keys", probe: map[string]string{}, optional: map[string]bool{}}
	}
	switch {
	case k.key.Role != "":
		return "role " + k.key.Role, func() *reader {
			r := newReader()
			r.who = "the role " + k.key.Role + " (the role of the SOPS key)"
			role, err := awsauth.ParsePrincipalARN(k.key.Role)
			if err != nil || role.Kind != "role" {
				r.problem = "the SOPS key's role " + k.key.Role + " is not a role ARN"
				return r
			}
			r.arn, r.account = k.key.Role, role.Account
			r.addCallers(ambient)
			if len(r.callers) == 0 {
				r.problem = "no AWS session of account " + role.Account + " to ask IAM with"
			}
			return r
		}
	case k.key.Profile != "":
		return "profile " + k.key.Profile, func() *reader {
			r := newReader()
			r.who = "the AWS profile " + k.key.Profile + " (the profile of the SOPS key)"
			region := ""
			if parts := strings.SplitN(k.key.ARN, ":", 6); len(parts) == 6 {
				region = parts[3]
			}
			cfg, err := c.load(ctx, region, config.WithSharedConfigProfile(k.key.Profile))
			if err != nil {
				r.problem = "profile " + k.key.Profile + ": " + errorText(err)
				return r
			}
			sess, err := whoIs(ctx, c.sts(cfg), cfg)
			if err != nil {
				r.problem = "profile " + k.key.Profile + ": sts:GetCallerIdentity: " + errorText(err)
				return r
			}
			if sess.IsRole() {
				roleSessionPath(ctx, c.iam(cfg), sess)
			}
			r.setSession(sess, r.who+", "+sess.IAMARN)
			return r
		}
	}
	return "ambient", func() *reader {
		r := newReader()
		if ambient == nil {
			r.who, r.problem = "your AWS identity", ambientProblem
			return r
		}
		who := "you (" + ambient.IAMARN + ")"
		if s.Target.viaEKS() && s.EKS.RoleARN != "" {
			who += ": SOPS decrypts with your own credentials, not cluster.eks.roleArn"
		}
		r.setSession(ambient, who)
		return r
	}
}

// mergeReader adds r to readers, into the reader of the same identity when there is one.
func mergeReader(readers []*reader, r *reader) []*reader {
	for _, o := range readers {
		if o.arn != "" && o.arn == r.arn {
			o.needs = secrets.MergeNeeds(o.needs, r.needs)
			maps.Copy(o.optional, r.optional)
			o.unplaced = append(o.unplaced, r.unplaced...)
			o.notes = append(o.notes, r.notes...)
			o.keysUnknown = o.keysUnknown || r.keysUnknown
			return readers
		}
	}
	return append(readers, r)
}

// simulate asks IAM, action by action, whether the reader's policies allow its needs.
func (c secretsCheck) simulate(ctx context.Context, r *reader) {
	if r.arn == "" || r.problem != "" || len(r.needs) == 0 {
		return
	}
	byAction := map[string][]string{}
	for _, n := range r.needs {
		byAction[n.Action] = append(byAction[n.Action], r.probeOf(n))
	}
	if _, ok := byAction[secrets.ActionGetSecretValue]; ok {
		byAction[secrets.ActionBatchGetSecretValue] = []string{"*"}
	}
	results := map[string]iampolicy.Result{}
	for _, action := range slices.Sorted(maps.Keys(byAction)) {
		err := r.withCaller(func(sess *Session) error {
			pages := iam.NewSimulatePrincipalPolicyPaginator(c.iam(sess.Config), &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String(r.arn), ActionNames: []string{action}, ResourceArns: byAction[action],
			})
			for pages.HasMorePages() {
				out, err := pages.NextPage(ctx)
				if err != nil {
					return err
				}
				for _, e := range out.EvaluationResults {
					results[aws.ToString(e.EvalActionName)+"\x00"+aws.ToString(e.EvalResourceName)] = simulationResult(e)
				}
			}
			return nil
		})
		if err != nil {
			r.problem = "iam:SimulatePrincipalPolicy: " + errorText(err)
			return
		}
	}
	if b, ok := results[secrets.ActionBatchGetSecretValue+"\x00*"]; ok {
		r.batch = &b
	}
	r.results = results
}

// withCaller runs call as each of the reader's callers in turn until one succeeds, and
// returns the first caller's error when none does.
func (r *reader) withCaller(call func(*Session) error) error {
	if len(r.callers) == 0 {
		return errors.New("no AWS session of account " + r.account)
	}
	var first error
	for _, sess := range r.callers {
		err := call(sess)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// regional is cfg in another region.
func regional(cfg aws.Config, region string) aws.Config {
	cfg.Region = region
	return cfg
}
