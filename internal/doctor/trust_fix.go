package doctor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"kaji.dev/kaji/internal/iampolicy"
)

// fix says what to change so that the caller may assume the role.
func (c trustCheck) fix(s *State, a trustAnalysis, session string) *Fix {
	base, roleARN := s.Base, s.EKS.RoleARN
	switch {
	case a.actualARN != "" && a.actualARN != a.role.ARN():
		return &Fix{Summary: fmt.Sprintf("set cluster.eks.roleArn in kaji.yaml to %s: STS needs the role's full ARN, path included", a.actualARN)}
	case a.noSuchRole:
		return &Fix{Summary: fmt.Sprintf("check cluster.eks.roleArn: account %s has no role named %s", a.role.Account, a.role.Name),
			Commands: []string{"aws iam list-roles --query 'Roles[].Arn'"}}
	case a.externalIDOnly && s.EKS.ExternalID == "":
		return &Fix{Summary: fmt.Sprintf("the trust policy of %s lets you in only with an external id: set cluster.eks.externalId in kaji.yaml to the value its sts:ExternalId condition names", a.role.Name)}
	case a.externalIDOnly:
		return &Fix{Summary: fmt.Sprintf("the trust policy of %s lets you in with another external id than %q: set cluster.eks.externalId in kaji.yaml to the value its sts:ExternalId condition names", a.role.Name, s.EKS.ExternalID)}
	case a.trust.Decision == iampolicy.ExplicitDeny:
		return &Fix{Summary: fmt.Sprintf("the trust policy of %s denies you explicitly (%s): remove or narrow that statement; nothing else can override a Deny",
			a.role.Name, describeResult(a.trust))}
	case a.identity.Decision == iampolicy.ExplicitDeny:
		return &Fix{Summary: fmt.Sprintf("your own IAM policies deny sts:AssumeRole on %s (%s): remove or narrow that statement", roleARN, describeResult(a.identity))}
	case (a.trust.Decision == iampolicy.Allow || a.trust.Decision == iampolicy.DelegatedToAccount) && a.identity.Decision != iampolicy.Allow:
		return identityPolicyFix(base, roleARN, a.trust.Decision == iampolicy.DelegatedToAccount)
	}
	return trustPolicyFix(s, a)
}

// trustPolicyFix is the statement that lets the caller in, added to the trust policy when it
// could be read.
func trustPolicyFix(s *State, a trustAnalysis) *Fix {
	base := s.Base
	stmt := trustStatement{Effect: "Allow", Principal: map[string]string{"AWS": base.IAMARN}, Action: "sts:AssumeRole"}
	if s.EKS.ExternalID != "" {
		stmt.Condition = map[string]map[string]string{"StringEquals": {"sts:ExternalId": s.EKS.ExternalID}}
	}
	summary := fmt.Sprintf("let %s assume the role: add this statement to the trust policy of %s", base.IAMARN, a.role.Name)
	if base.IsRole() {
		summary = fmt.Sprintf("let the role %s assume %s: add this statement to its trust policy (name the role, not the session)", base.IAMARN, a.role.Name)
		if !base.PathKnown {
			summary += "; put the role's path into the ARN if it has one"
		}
	}
	if len(a.trust.Missing) > 0 {
		summary += fmt.Sprintf("; the existing statements have conditions kaji cannot check from here (%s): make sure your request meets them, or rely on the new statement",
			strings.Join(a.trust.Missing, ", "))
	}
	f := &Fix{Summary: summary}
	text, err := json.MarshalIndent(stmt, "", "  ")
	if err != nil {
		return f
	}
	if a.document != "" {
		if doc, err := appendStatement(a.document, text); err == nil {
			f.Summary += " (the whole new policy below)"
			f.Snippet = &Snippet{Format: "json", File: "trust-policy.json", Text: doc}
			f.Commands = []string{fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document file://trust-policy.json", a.role.Name)}
			return f
		}
	}
	f.Snippet = &Snippet{Format: "json", File: "statement.json", Text: string(text) + "\n"}
	f.Commands = []string{
		fmt.Sprintf("aws iam get-role --role-name %s --query Role.AssumeRolePolicyDocument > trust-policy.json", a.role.Name),
		"# add the statement to the Statement list of trust-policy.json, then:",
		fmt.Sprintf("aws iam update-assume-role-policy --role-name %s --policy-document file://trust-policy.json", a.role.Name),
	}
	if a.role.Account != base.Account {
		f.Summary += fmt.Sprintf("; run the commands in account %s, which holds the role", a.role.Account)
	}
	return f
}

// identityPolicyFix lets the caller's own policies allow sts:AssumeRole on the role, which
// AWS requires when the trust policy names only the account, or the caller is in another
// account.
func identityPolicyFix(base *Session, roleARN string, delegated bool) *Fix {
	why := "you are in another account than the role, so your own IAM policies must allow sts:AssumeRole on it too"
	if delegated {
		why = "the trust policy trusts your whole account, which leaves the decision to your own IAM policies"
	}
	name := roleARN[strings.LastIndexByte(roleARN, '/')+1:]
	return iamPolicyFix(base, "kaji-assume-"+name, "assume-role-policy.json", why+": attach this policy to "+base.IAMARN,
		[]string{"sts:AssumeRole"}, []string{roleARN})
}

// iamPolicyFix attaches an inline policy allowing actions on resources to the user or role
// of sess.
func iamPolicyFix(sess *Session, policyName, file, summary string, actions, resources []string) *Fix {
	stmt := policyStatement{Effect: "Allow", Action: oneOrMany(actions), Resource: oneOrMany(resources)}
	doc := struct {
		Version   string            `json:"Version"`
		Statement []policyStatement `json:"Statement"`
	}{"2012-10-17", []policyStatement{stmt}}
	text, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return &Fix{Summary: summary}
	}
	kind, who := "user", sess.IAMARN[strings.LastIndexByte(sess.IAMARN, '/')+1:]
	if sess.IsRole() {
		kind = "role"
	}
	return &Fix{
		Summary: summary,
		Snippet: &Snippet{Format: "json", File: file, Text: string(text) + "\n"},
		Commands: []string{fmt.Sprintf("aws iam put-%s-policy --%s-name %s --policy-name %s --policy-document file://%s",
			kind, kind, who, policyName, file)},
	}
}

// policyStatement is an identity policy statement.
type policyStatement struct {
	Effect   string `json:"Effect"`
	Action   any    `json:"Action"`
	Resource any    `json:"Resource"`
}

func oneOrMany(ss []string) any {
	if len(ss) == 1 {
		return ss[0]
	}
	return ss
}

// trustStatement is a policy statement in the order people write them.
type trustStatement struct {
	Sid       string                       `json:"Sid,omitempty"`
	Effect    string                       `json:"Effect"`
	Principal map[string]string            `json:"Principal,omitempty"`
	Action    string                       `json:"Action"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// appendStatement adds stmt to a policy document's Statement list, keeping the rest.
func appendStatement(document string, stmt []byte) (string, error) {
	var doc struct {
		Version   string          `json:"Version,omitempty"`
		ID        string          `json:"Id,omitempty"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(document), &doc); err != nil {
		return "", fmt.Errorf("decode trust policy: %w", err)
	}
	var list []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(doc.Statement), []byte("{")) {
		list = []json.RawMessage{doc.Statement}
	} else if err := json.Unmarshal(doc.Statement, &list); err != nil {
		return "", fmt.Errorf("decode trust policy statements: %w", err)
	}
	list = append(list, stmt)
	out := struct {
		Version   string            `json:"Version,omitempty"`
		ID        string            `json:"Id,omitempty"`
		Statement []json.RawMessage `json:"Statement"`
	}{doc.Version, doc.ID, list}
	text, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode trust policy: %w", err)
	}
	return string(text) + "\n", nil
}
