package iampolicy

import (
	"fmt"
	"slices"
)

// Decision is the outcome of evaluating policies for a request.
type Decision int

// The decisions, from the evaluator's point of view. Only Allow grants access on its own.
const (
	// ImplicitDeny: no statement allows the request.
	ImplicitDeny Decision = iota
	// Allow: a statement allows the request and none denies it.
	Allow
	// DelegatedToAccount: a resource policy allows the request only through an account
	// principal ("123456789012" or "arn:aws:iam::123456789012:root"). That delegates the
	// decision to the account: the caller's own identity policies must allow it too.
	DelegatedToAccount
	// ExplicitDeny: a Deny statement matches the request. Nothing can override it.
	ExplicitDeny
	// Unknown: the outcome depends on something the evaluator cannot evaluate, such as an
	// unsupported condition operator or a condition key missing from the context.
	Unknown
)

func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "implicitDeny"
	case Allow:
		return "allowed"
	case DelegatedToAccount:
		return "delegatedToAccount"
	case ExplicitDeny:
		return "explicitDeny"
	case Unknown:
		return "unknown"
	}
	return fmt.Sprintf("Decision(%d)", int(d))
}

// StatementRef names one statement of one policy.
type StatementRef struct {
	// Policy is the name the caller gave the policy (see Named); may be empty.
	Policy string
	// Index is the statement's position in the policy.
	Index int
	Sid   string
}

func (r StatementRef) String() string {
	name := r.Sid
	if name == "" {
		name = fmt.Sprintf("#%d", r.Index)
	}
	if r.Policy == "" {
		return "statement " + name
	}
	return fmt.Sprintf("%s statement %s", r.Policy, name)
}

// Result is a Decision with its reasons.
type Result struct {
	Decision Decision
	// Matched are the statements that decided: the denying ones for ExplicitDeny, the
	// allowing ones for Allow and DelegatedToAccount.
	Matched []StatementRef
	// Undecided are statements that might apply but whose conditions could not be evaluated.
	Undecided []StatementRef
	// Missing names what could not be evaluated: "key sts:ExternalId", "operator BinaryEquals".
	Missing []string
	// UndecidedDeny is true when an Undecided statement is a Deny: the request might be
	// denied outright whatever else allows it.
	UndecidedDeny bool
}

// Named is a policy with a name for reports.
type Named struct {
	Name   string
	Policy *Policy
}

// EvaluateIdentity evaluates identity policies (attached to a user or role) for req. Their
// statements have no Principal; Resource must match req.Resource.
func EvaluateIdentity(req Request, policies ...Named) Result {
	return evaluate(req, policies, false)
}

// EvaluateResource evaluates a resource policy, such as a role's trust policy, for req. Its
// statements must name the caller in Principal (or exclude it in NotPrincipal).
func EvaluateResource(req Request, policy Named) Result {
	return evaluate(req, []Named{policy}, true)
}

// statementVerdict is how one statement applies to a request.
type statementVerdict struct {
	applies tri
	// viaAccount: the statement applies only through an account principal.
	viaAccount bool
	missing    []string
}

func evaluate(req Request, policies []Named, resourcePolicy bool) Result {
	var deny, maybeDeny, allow, allowAccount, maybeAllow []StatementRef
	var missing []string
	for _, np := range policies {
		if np.Policy == nil {
			continue
		}
		for i, st := range np.Policy.Statements {
			ref := StatementRef{Policy: np.Name, Index: i, Sid: st.Sid}
			v := statementApplies(st, req, resourcePolicy)
			switch {
			case v.applies == triFalse:
				continue
			case v.applies == triUnknown:
				missing = append(missing, v.missing...)
				if st.Effect == EffectDeny {
					maybeDeny = append(maybeDeny, ref)
				} else {
					maybeAllow = append(maybeAllow, ref)
				}
			case st.Effect == EffectDeny:
				deny = append(deny, ref)
			case v.viaAccount:
				allowAccount = append(allowAccount, ref)
			default:
				allow = append(allow, ref)
			}
		}
	}
	missing = slices.Compact(slices.Sorted(slices.Values(missing)))
	switch {
	case len(deny) > 0:
		return Result{Decision: ExplicitDeny, Matched: deny}
	case len(maybeDeny) > 0:
		return Result{Decision: Unknown, Undecided: maybeDeny, Missing: missing, UndecidedDeny: true}
	case len(allow) > 0:
		return Result{Decision: Allow, Matched: allow}
	case len(allowAccount) > 0:
		if len(maybeAllow) > 0 {
			// A specific allow might apply too, but delegation is already certain.
			return Result{Decision: DelegatedToAccount, Matched: allowAccount, Undecided: maybeAllow, Missing: missing}
		}
		return Result{Decision: DelegatedToAccount, Matched: allowAccount}
	case len(maybeAllow) > 0:
		return Result{Decision: Unknown, Undecided: maybeAllow, Missing: missing}
	}
	return Result{Decision: ImplicitDeny}
}

func statementApplies(st Statement, req Request, resourcePolicy bool) statementVerdict {
	v := statementVerdict{applies: triTrue}
	// Action
	if st.Action != nil {
		v.applies = triOf(slices.ContainsFunc(st.Action, func(p string) bool { return matchAction(p, req.Action) }))
	} else {
		v.applies = triOf(!slices.ContainsFunc(st.NotAction, func(p string) bool { return matchAction(p, req.Action) }))
	}
	if v.applies == triFalse {
		return v
	}
	// Principal
	if resourcePolicy {
		switch {
		case st.Principal != nil:
			m := matchPrincipals(st.Principal, req.Principal)
			if m == principalNoMatch {
				return statementVerdict{applies: triFalse}
			}
			v.viaAccount = m == principalAccount
		case st.NotPrincipal != nil:
			if matchPrincipals(st.NotPrincipal, req.Principal) == principalExact {
				return statementVerdict{applies: triFalse}
			}
		default:
			// A resource policy statement without a principal applies to nobody.
			return statementVerdict{applies: triFalse}
		}
	}
	// Resource: identity policies need one; resource policies match it when both sides have one.
	if st.Resource != nil || st.NotResource != nil {
		if req.Resource != "" || !resourcePolicy {
			var m tri
			var miss []string
			if st.Resource != nil {
				m, miss = matchResources(st.Resource, req.Resource, req.Context)
			} else {
				m, miss = matchResources(st.NotResource, req.Resource, req.Context)
				m = m.not()
			}
			v.applies = v.applies.and(m)
			v.missing = append(v.missing, prefixAll("key ", miss)...)
		}
	} else if !resourcePolicy {
		return statementVerdict{applies: triFalse}
	}
	if v.applies == triFalse {
		return statementVerdict{applies: triFalse}
	}
	// Condition
	if st.Condition != nil {
		c := evalCondition(st.Condition, req.Context)
		v.applies = v.applies.and(c.value)
		v.missing = append(v.missing, c.unknown...)
	}
	if v.applies == triFalse {
		return statementVerdict{applies: triFalse}
	}
	return v
}

func prefixAll(prefix string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = prefix + s
	}
	return out
}

// AuthorizeAssumeRole combines a role's trust policy result with the caller's identity
// policy result into the decision AWS makes for sts:AssumeRole:
//
//   - an explicit deny in either wins;
//   - the trust policy must allow the caller, either by naming it (Allow) or by naming its
//     account (DelegatedToAccount);
//   - when it only names the account, or the caller is in another account, the caller's
//     identity policies must allow sts:AssumeRole on the role as well.
//
// Unknown in a result that decides makes the combined decision Unknown.
func AuthorizeAssumeRole(trust, identity Result, sameAccount bool) Result {
	switch {
	case trust.Decision == ExplicitDeny:
		return trust
	case identity.Decision == ExplicitDeny:
		return identity
	case trust.Decision == ImplicitDeny:
		return trust
	case trust.Decision == Unknown:
		return trust
	}
	if trust.Decision == Allow && sameAccount {
		// The identity policies do not need to allow, but a Deny in them might still block.
		if identity.Decision == Unknown && identity.UndecidedDeny {
			return identity
		}
		return trust
	}
	// The identity policies decide as well.
	switch identity.Decision {
	case Allow:
		return Result{Decision: Allow, Matched: append(slices.Clone(trust.Matched), identity.Matched...)}
	case Unknown:
		return identity
	}
	return Result{Decision: ImplicitDeny, Matched: trust.Matched}
}
