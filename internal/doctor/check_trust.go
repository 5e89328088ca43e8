package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/eks/awsauth"
	"kaji.dev/kaji/internal/iampolicy"
)

// trustCheck reads the role's trust policy, evaluates it offline for the caller, asks IAM to
// simulate the caller's own policies where the trust policy defers to them, and then
// assumes the role for real.
type trustCheck struct {
	iam       func(aws.Config) RoleAPI
	sts       func(aws.Config) CallerIdentityAPI
	assume    func(ctx context.Context, base aws.Config, role eks.Role) (aws.Config, error)
	now       func() time.Time
	localUser string
}

// trustAnalysis is what the offline look at the trust policy found.
type trustAnalysis struct {
	role awsauth.Principal
	// actualARN is the role's ARN as IAM reports it, when read.
	actualARN string
	// noSuchRole: IAM has no role of that name in the caller's account.
	noSuchRole bool
	// document is the trust policy as IAM stores it, when read.
	document string
	trust    iampolicy.Result
	identity iampolicy.Result
	decision iampolicy.Result
	// externalIDOnly: a statement names the caller, but asks for another external id.
	externalIDOnly bool
	evidence       []string
}

func (c trustCheck) run(ctx context.Context, s *State) Finding {
	switch {
	case s.EKS == nil:
		return skipped("not an EKS cluster")
	case s.EKS.RoleARN == "":
		if s.Base != nil {
			return skipped("no role to assume (cluster.eks.roleArn is not set): kaji acts as " + s.Base.ARN)
		}
		return skipped("no role to assume (cluster.eks.roleArn is not set)")
	case s.Base == nil:
		s.ActingProblem = "no AWS credentials to assume the role with (see aws-identity)"
		return skipped("needs AWS credentials (see aws-identity)")
	}
	roleARN := s.EKS.RoleARN
	role, err := awsauth.ParsePrincipalARN(roleARN)
	if err != nil || role.Kind != "role" {
		s.ActingProblem = "cluster.eks.roleArn is not a role ARN (see role-trust)"
		return Finding{Status: Fail, Summary: fmt.Sprintf("roleArn %q is not an IAM role ARN", roleARN),
			Fix: &Fix{Summary: "set cluster.eks.roleArn to arn:aws:iam::ACCOUNT:role/PATH/NAME, as `aws iam get-role --role-name NAME --query Role.Arn` prints it"}}
	}
	session := eks.SessionNameFor(*s.EKS, c.localUser)
	a := c.analyze(ctx, s, role, session)

	acting, err := c.assume(ctx, s.Base.Config, eks.Role{ARN: roleARN, SessionName: session, ExternalID: s.EKS.ExternalID})
	if err != nil {
		s.ActingProblem = fmt.Sprintf("role %s could not be assumed (see role-trust)", roleARN)
		cause := err
		var ee *eks.Error
		if errors.As(err, &ee) && ee.Err != nil {
			cause = ee.Err
		}
		f := Finding{Status: Fail, Summary: fmt.Sprintf("sts:AssumeRole (session %s): %s", session, errorText(cause)), Evidence: a.evidence}
		f.Fix = c.fix(s, a, session)
		return f
	}
	sess, err := whoIs(ctx, c.sts(acting), acting)
	if err != nil {
		s.ActingProblem = "the role's credentials do not work (see role-trust)"
		return Finding{Status: Fail, Summary: "sts:GetCallerIdentity with the role's credentials: " + errorText(err), Evidence: a.evidence}
	}
	sess.IAMARN, sess.PathKnown = roleARN, true
	s.Acting = sess
	evidence := append(a.evidence, "assumed: "+sess.ARN)
	return ok(fmt.Sprintf("%s may assume %s (session %s)", s.Base.ARN, roleARN, session), evidence...)
}

// analyze looks at the trust policy and the caller's policies offline. It never fails: what
// it cannot see it records as Unknown.
func (c trustCheck) analyze(ctx context.Context, s *State, role awsauth.Principal, session string) trustAnalysis {
	base := s.Base
	a := trustAnalysis{role: role, trust: iampolicy.Result{Decision: iampolicy.Unknown}, identity: iampolicy.Result{Decision: iampolicy.Unknown}}
	api := c.iam(base.Config)
	sameAccount := role.Account == base.Account
	if !sameAccount {
		a.evidence = append(a.evidence, fmt.Sprintf("the role is in account %s, you in %s: its trust policy can only be read there", role.Account, base.Account))
	} else {
		out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role.Name)})
		switch {
		case isNoSuchEntity(err):
			a.noSuchRole = true
			a.evidence = append(a.evidence, fmt.Sprintf("iam:GetRole: account %s has no role named %s", role.Account, role.Name))
		case err != nil:
			a.evidence = append(a.evidence, "cannot read the trust policy: iam:GetRole: "+errorText(err))
		default:
			a.actualARN = aws.ToString(out.Role.Arn)
			doc, err := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
			if err != nil {
				doc = aws.ToString(out.Role.AssumeRolePolicyDocument)
			}
			a.document = doc
			if a.actualARN != role.ARN() {
				a.evidence = append(a.evidence, fmt.Sprintf("the role's ARN is %s, not %s: the path is part of the ARN", a.actualARN, role.ARN()))
			}
			p, err := iampolicy.Parse([]byte(doc))
			if err != nil {
				a.evidence = append(a.evidence, "cannot evaluate the trust policy: "+err.Error())
			} else {
				req := c.request(s, session)
				a.trust = iampolicy.EvaluateResource(req, iampolicy.Named{Name: "trust policy", Policy: p})
				if a.trust.Decision == iampolicy.ImplicitDeny {
					// Would a statement let the caller in with another external id?
					anyID := req
					anyID.Context = req.Context.Clone()
					anyID.Context.Unset("sts:ExternalId")
					r := iampolicy.EvaluateResource(anyID, iampolicy.Named{Name: "trust policy", Policy: p})
					a.externalIDOnly = r.Decision == iampolicy.Unknown && slices.Contains(r.Missing, "key sts:ExternalId")
				}
				a.evidence = append(a.evidence, trustStatements(p)...)
				a.evidence = append(a.evidence, "trust policy for you: "+describeResult(a.trust))
			}
		}
	}
	a.identity = c.simulate(ctx, api, base, role.ARN())
	a.evidence = append(a.evidence, "your identity policies (iam:SimulatePrincipalPolicy): "+describeResult(a.identity))
	if !base.PathKnown {
		a.evidence = append(a.evidence, "your role's path is unknown: a trust policy that names it with its path may look like it does not match")
	}
	a.decision = iampolicy.AuthorizeAssumeRole(a.trust, a.identity, sameAccount)
	a.evidence = append(a.evidence, "offline decision: "+a.decision.Decision.String())
	return a
}

// request is the AssumeRole request kaji makes, as the trust policy sees it.
func (c trustCheck) request(s *State, session string) iampolicy.Request {
	base := s.Base
	ctx := iampolicy.Context{}
	p := iampolicy.Principal{Type: iampolicy.PrincipalUser, ARN: base.ARN, Account: base.Account}
	if base.IsRole() {
		p.Type, p.RoleARN = iampolicy.PrincipalRoleSession, base.IAMARN
		ctx.Set("aws:PrincipalType", "AssumedRole")
		if base.PathKnown {
			ctx.Set("aws:PrincipalArn", base.IAMARN)
		}
	} else {
		ctx.Set("aws:PrincipalType", "User")
		ctx.Set("aws:PrincipalArn", base.ARN)
		if u, err := awsauth.ParsePrincipalARN(base.ARN); err == nil {
			ctx.Set("aws:username", u.Name)
		}
	}
	ctx.Set("aws:PrincipalAccount", base.Account)
	ctx.Set("aws:userid", base.UserID)
	ctx.Set("aws:SecureTransport", "true")
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	ctx.Set("aws:CurrentTime", now.UTC().Format(time.RFC3339))
	ctx.Set("aws:EpochTime", fmt.Sprint(now.Unix()))
	ctx.Set("aws:RequestedRegion", s.EKS.Region)
	ctx.Set("sts:RoleSessionName", session)
	if s.EKS.ExternalID != "" {
		ctx.Set("sts:ExternalId", s.EKS.ExternalID)
	} else {
		ctx.Absent("sts:ExternalId")
	}
	return iampolicy.Request{Principal: p, Action: "sts:AssumeRole", Context: ctx}
}

// simulate asks IAM whether the caller's identity policies allow sts:AssumeRole on the role.
func (c trustCheck) simulate(ctx context.Context, api RoleAPI, base *Session, roleARN string) iampolicy.Result {
	unknown := iampolicy.Result{Decision: iampolicy.Unknown}
	if base.IsRole() && !base.PathKnown {
		unknown.Missing = []string{"the path of your role"}
		return unknown
	}
	out, err := api.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(base.IAMARN),
		ActionNames:     []string{"sts:AssumeRole"},
		ResourceArns:    []string{roleARN},
	})
	if err != nil {
		unknown.Missing = []string{"iam:SimulatePrincipalPolicy: " + errorText(err)}
		return unknown
	}
	if len(out.EvaluationResults) == 0 {
		return unknown
	}
	return simulationResult(out.EvaluationResults[0])
}

// simulationResult turns IAM's simulation into an iampolicy result.
func simulationResult(r iamtypes.EvaluationResult) iampolicy.Result {
	var matched []iampolicy.StatementRef
	for _, m := range r.MatchedStatements {
		matched = append(matched, iampolicy.StatementRef{Policy: aws.ToString(m.SourcePolicyId), Index: -1})
	}
	switch r.EvalDecision {
	case iamtypes.PolicyEvaluationDecisionTypeAllowed:
		return iampolicy.Result{Decision: iampolicy.Allow, Matched: matched}
	case iamtypes.PolicyEvaluationDecisionTypeExplicitDeny:
		return iampolicy.Result{Decision: iampolicy.ExplicitDeny, Matched: matched}
	}
	if len(r.MissingContextValues) > 0 {
		return iampolicy.Result{Decision: iampolicy.Unknown, Missing: prefixed("key ", r.MissingContextValues)}
	}
	return iampolicy.Result{Decision: iampolicy.ImplicitDeny}
}

func describeResult(r iampolicy.Result) string {
	out := r.Decision.String()
	var refs []string
	for _, m := range r.Matched {
		refs = append(refs, refName(m))
	}
	if len(refs) > 0 {
		out += " by " + strings.Join(refs, ", ")
	}
	if len(r.Missing) > 0 {
		out += " (cannot evaluate " + strings.Join(r.Missing, ", ") + ")"
	}
	return out
}

// refName names a statement; IAM's simulation names policies but not their statements
// (Index -1).
func refName(m iampolicy.StatementRef) string {
	if m.Index < 0 {
		return "policy " + m.Policy
	}
	return m.String()
}

func prefixed(prefix string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = prefix + s
	}
	return out
}

func isNoSuchEntity(err error) bool { return awsCode(err) == "NoSuchEntity" }

// trustStatements describes who each statement of a trust policy lets assume the role.
func trustStatements(p *iampolicy.Policy) []string {
	var out []string
	for i, st := range p.Statements {
		if !slices.ContainsFunc(st.Action, func(a string) bool {
			return strings.HasPrefix(strings.ToLower(a), "sts:assumerole") || a == "*" || a == "sts:*"
		}) {
			continue
		}
		who := "nobody named"
		if pr := st.Principal; pr != nil {
			var names []string
			if pr.Any {
				names = append(names, "anyone (*)")
			}
			names = append(names, pr.AWS...)
			names = append(names, pr.Service...)
			names = append(names, pr.Federated...)
			who = strings.Join(names, ", ")
		}
		line := fmt.Sprintf("trust policy %s: %s %s", refName(iampolicy.StatementRef{Index: i, Sid: st.Sid}), strings.ToLower(string(st.Effect)), who)
		if len(st.Condition) > 0 {
			var keys []string
			for op, kv := range st.Condition {
				for k := range kv {
					keys = append(keys, op+" "+k)
				}
			}
			slices.Sort(keys)
			line += " if " + strings.Join(keys, ", ")
		}
		out = append(out, line)
	}
	return out
}
