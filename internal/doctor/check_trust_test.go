package doctor

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/iampolicy"
	"kaji.dev/kaji/internal/spec"
)

func trustPolicy(statements ...string) string {
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(statements, ", ") + `]}`
}

const (
	trustsCarol         = `{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/carol"}, "Action": "sts:AssumeRole"}`
	trustsAlice         = `{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "sts:AssumeRole"}`
	trustsAliceWithID   = `{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "kaji-e2e"}}}`
	trustsAliceWithMFA  = `{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}`
	trustsAccount       = `{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}`
	deniesAlice         = `{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"}, "Action": "sts:AssumeRole"}`
	accessDeniedMessage = "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: sts:AssumeRole"
)

func TestTrustCheck(t *testing.T) {
	cases := []struct {
		name string
		// trust is the deployer's trust policy; "" means the role does not exist.
		trust    string
		eks      func(*spec.EKS)
		decision iamtypes.PolicyEvaluationDecisionType
		getErr   error
		// assumeOK makes the real AssumeRole succeed.
		assumeOK bool
		status   Status
		evidence string
		// fix is in the fix's summary; command in its first command; snippet in its snippet.
		fix, command, snippet string
	}{
		{name: "trusted", trust: trustPolicy(trustsAliceWithID), assumeOK: true, status: OK,
			evidence: "trust policy for you: allowed by trust policy statement #0"},
		{name: "trusts someone else", trust: trustPolicy(trustsCarol), status: Fail,
			evidence: "trust policy statement #0: allow arn:aws:iam::111122223333:user/carol",
			fix:      "add this statement to the trust policy of kaji-deployer", command: "aws iam update-assume-role-policy --role-name kaji-deployer",
			snippet: `"sts:ExternalId": "kaji-e2e"`},
		{name: "no external id in kaji.yaml", trust: trustPolicy(trustsAliceWithID), eks: func(e *spec.EKS) { e.ExternalID = "" }, status: Fail,
			fix: "set cluster.eks.externalId"},
		{name: "wrong external id", trust: trustPolicy(trustsAliceWithID), eks: func(e *spec.EKS) { e.ExternalID = "other" }, status: Fail,
			fix: `another external id than "other"`},
		{name: "trusts the account, identity policy does not allow", trust: trustPolicy(trustsAccount), status: Fail,
			evidence: "offline decision: implicitDeny", fix: "trusts your whole account", command: "aws iam put-user-policy --user-name alice --policy-name kaji-assume-kaji-deployer",
			snippet: `"Resource": "arn:aws:iam::111122223333:role/platform/kaji-deployer"`},
		{name: "trusts the account, identity policy allows", trust: trustPolicy(trustsAccount), decision: iamtypes.PolicyEvaluationDecisionTypeAllowed,
			assumeOK: true, status: OK, evidence: "offline decision: allowed"},
		{name: "explicit deny wins", trust: trustPolicy(trustsAlice, deniesAlice), status: Fail,
			evidence: "offline decision: explicitDeny", fix: "denies you explicitly"},
		{name: "condition kaji cannot evaluate", trust: trustPolicy(trustsAliceWithMFA), status: Fail,
			evidence: "cannot evaluate key aws:MultiFactorAuthPresent", fix: "conditions kaji cannot check from here (key aws:MultiFactorAuthPresent)"},
		{name: "roleArn without the path", trust: trustPolicy(trustsAliceWithID), eks: func(e *spec.EKS) { e.RoleARN = canonical }, status: Fail,
			evidence: "the path is part of the ARN", fix: "set cluster.eks.roleArn in kaji.yaml to " + deployerARN},
		{name: "no such role", trust: "", status: Fail, evidence: "has no role named kaji-deployer", fix: "account 111122223333 has no role named kaji-deployer"},
		{name: "cannot read the trust policy", trust: trustPolicy(trustsCarol), getErr: apiErr("AccessDenied", "no iam:GetRole"), status: Fail,
			evidence: "cannot read the trust policy: iam:GetRole: AccessDenied", command: "aws iam get-role --role-name kaji-deployer", snippet: `"AWS": "arn:aws:iam::111122223333:user/alice"`},
		{name: "role in another account", trust: trustPolicy(trustsAlice), eks: func(e *spec.EKS) { e.RoleARN = "arn:aws:iam::444455556666:role/kaji-ci" }, status: Fail,
			evidence: "the role is in account 444455556666", fix: "trust policy of kaji-ci"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fi := &fakeIAM{roles: map[string]iamtypes.Role{}, decision: c.decision, getErr: c.getErr}
			if c.trust != "" {
				fi.roles["kaji-deployer"] = role(deployerARN, c.trust)
			}
			target := deployerEKS()
			if c.eks != nil {
				c.eks(target)
			}
			var assumed *eks.Role
			check := trustCheck{
				iam: func(aws.Config) RoleAPI { return fi },
				sts: func(aws.Config) CallerIdentityAPI {
					return fakeSTS{arn: sessionARN, userID: "AROAEXAMPLE:kaji-e2e-user"}
				},
				assume: func(_ context.Context, base aws.Config, r eks.Role) (aws.Config, error) {
					assumed = &r
					if c.assumeOK {
						return base, nil
					}
					return aws.Config{}, &eks.Error{Step: eks.StepAssumeRole, Kind: eks.KindAccessDenied, What: "assume role", Err: apiErr("AccessDenied", accessDeniedMessage)}
				},
			}
			s := newState(Target{Resolved: resolved(target, "apps")}, nil, nil)
			s.EKS, s.Base = target, session(t, aliceARN)
			f := check.run(t.Context(), s)
			if f.Status != c.status {
				t.Fatalf("status %s, want %s: %s\n%q", f.Status, c.status, f.Summary, f.Evidence)
			}
			if assumed == nil || assumed.ARN != target.RoleARN || assumed.SessionName != "kaji-e2e-user" || assumed.ExternalID != target.ExternalID {
				t.Errorf("AssumeRole called with %+v", assumed)
			}
			if c.evidence != "" && !strings.Contains(strings.Join(f.Evidence, "\n"), c.evidence) {
				t.Errorf("evidence lacks %q:\n%s", c.evidence, strings.Join(f.Evidence, "\n"))
			}
			if c.status == OK {
				if s.Acting == nil || s.Acting.IAMARN != target.RoleARN || s.Acting.Canonical != canonical {
					t.Errorf("acting session = %+v", s.Acting)
				}
				return
			}
			if s.Acting != nil || s.ActingProblem == "" {
				t.Errorf("a failed AssumeRole left acting %+v, problem %q", s.Acting, s.ActingProblem)
			}
			if !strings.Contains(f.Summary, "AccessDenied: "+accessDeniedMessage) {
				t.Errorf("summary = %q", f.Summary)
			}
			checkFix(t, f.Fix, c.fix, c.command, c.snippet)
		})
	}
}

// checkFix checks that a fix says fix, runs command first and pastes snippet, each where
// given; a JSON snippet must parse.
func checkFix(t *testing.T, f *Fix, fix, command, snippet string) {
	t.Helper()
	if f == nil {
		t.Fatal("no fix")
	}
	if !strings.Contains(f.Summary, fix) {
		t.Errorf("fix %q lacks %q", f.Summary, fix)
	}
	if command != "" && (len(f.Commands) == 0 || !strings.Contains(f.Commands[0], command)) {
		t.Errorf("fix commands %q, want the first to contain %q", f.Commands, command)
	}
	if snippet == "" {
		return
	}
	if f.Snippet == nil || !strings.Contains(f.Snippet.Text, snippet) {
		t.Fatalf("fix snippet %+v lacks %q", f.Snippet, snippet)
	}
	if f.Snippet.Format == "json" && !json.Valid([]byte(f.Snippet.Text)) {
		t.Errorf("snippet is not JSON:\n%s", f.Snippet.Text)
	}
}

func TestTrustFixKeepsExistingStatements(t *testing.T) {
	doc, err := appendStatement(`{"Version":"2012-10-17","Id":"x","Statement":{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}}`,
		[]byte(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole"}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := iampolicy.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	if p.ID != "x" || len(p.Statements) != 2 || p.Statements[0].Principal.Service[0] != "eks.amazonaws.com" {
		t.Errorf("new policy = %s", doc)
	}
}

func TestSkippedTrust(t *testing.T) {
	s := newState(Target{Resolved: resolved(nil)}, nil, nil)
	if f := (trustCheck{}).run(t.Context(), s); f.Status != Skipped {
		t.Errorf("no EKS: %+v", f)
	}
	s.EKS = &spec.EKS{Name: "prod", Region: "eu-west-1"}
	s.Base = session(t, aliceARN)
	if f := (trustCheck{}).run(t.Context(), s); f.Status != Skipped || !strings.Contains(f.Summary, "kaji acts as "+aliceARN) {
		t.Errorf("no role: %+v", f)
	}
	s.EKS, s.Base = deployerEKS(), nil
	if f := (trustCheck{}).run(t.Context(), s); f.Status != Skipped || s.ActingProblem == "" {
		t.Errorf("no credentials: %+v", f)
	}
}
