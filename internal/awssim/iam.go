package awssim

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"kaji.dev/kaji/internal/iampolicy"
)

const iamVersion = "2010-05-08"

// roleCreateDate is the CreateDate of every simulated role.
const roleCreateDate = "2024-01-01T00:00:00Z"

func (s *Server) serveIAM(w http.ResponseWriter, req *request) {
	action := req.params.Get("Action")
	if req.params.Get("Version") != iamVersion {
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "InvalidAction",
			message: fmt.Sprintf("Could not find operation %s for version %s", action, req.params.Get("Version"))})
		return
	}
	switch action {
	case "GetRole":
		s.getRole(w, req)
	case "SimulatePrincipalPolicy":
		s.simulatePrincipalPolicy(w, req)
	default:
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "InvalidAction",
			message: fmt.Sprintf("Could not find operation %s for version %s", action, iamVersion)})
	}
}

type roleXML struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	MaxSessionDuration       int32  `xml:"MaxSessionDuration"`
}

// getRole returns a role of the caller's account, its trust policy URL-encoded as IAM does.
func (s *Server) getRole(w http.ResponseWriter, req *request) {
	name := req.params.Get("RoleName")
	role, ok := s.world.findRoleByName(req.caller.account, name)
	arn := "arn:aws:iam::" + req.caller.account + ":role/" + name
	if ok {
		arn = roleARN(req.caller.account, role.Path, role.Name)
	}
	if e := s.authorize(req, "iam:GetRole", arn); e != nil {
		s.fail(w, req, e)
		return
	}
	if !ok {
		s.fail(w, req, &apiError{status: http.StatusNotFound, code: "NoSuchEntity",
			message: fmt.Sprintf("The role with name %s cannot be found.", name)})
		return
	}
	req.succeed()
	writeQueryResult(w, req.http, iamNamespace, "GetRole", req.requestID, struct {
		Role roleXML `xml:"Role"`
	}{roleXML{
		Path: role.Path, RoleName: role.Name, RoleID: roleID(req.caller.account, role), Arn: arn,
		CreateDate:               roleCreateDate,
		AssumeRolePolicyDocument: uriEncode(string(role.TrustPolicy.JSON), true),
		MaxSessionDuration:       role.MaxSessionDuration,
	}})
}

type evaluationResult struct {
	EvalActionName       string    `xml:"EvalActionName"`
	EvalResourceName     string    `xml:"EvalResourceName"`
	EvalDecision         string    `xml:"EvalDecision"`
	MatchedStatements    []stmtXML `xml:"MatchedStatements>member"`
	MissingContextValues []string  `xml:"MissingContextValues>member"`
}

type stmtXML struct {
	SourcePolicyID   string `xml:"SourcePolicyId"`
	SourcePolicyType string `xml:"SourcePolicyType"`
}

// simulatePrincipalPolicy evaluates the identity policies of a user or role for actions and
// resources. Keys the request context lacks are reported as MissingContextValues, and a
// decision that depends on them is implicitDeny, as IAM's simulator does.
func (s *Server) simulatePrincipalPolicy(w http.ResponseWriter, req *request) {
	source := req.params.Get("PolicySourceArn")
	if e := s.authorize(req, "iam:SimulatePrincipalPolicy", source); e != nil {
		s.fail(w, req, e)
		return
	}
	who, ok := s.world.principalByARN(source)
	if !ok || who.account != req.caller.account {
		s.fail(w, req, &apiError{status: http.StatusNotFound, code: "NoSuchEntity",
			message: fmt.Sprintf("The user or role with ARN %s cannot be found.", source)})
		return
	}
	actions := members(req.params, "ActionNames")
	if len(actions) == 0 {
		s.fail(w, req, validationError("Value null at 'actionNames' failed to satisfy constraint: Member must not be null"))
		return
	}
	resources := members(req.params, "ResourceArns")
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	ctx := who.requestContext(s.now(), req.sig.region, "")
	ctx.Complete = false
	for i := 1; ; i++ {
		prefix := "ContextEntries.member." + strconv.Itoa(i) + "."
		key := req.params.Get(prefix + "ContextKeyName")
		if key == "" {
			break
		}
		ctx.Set(key, members(req.params, prefix+"ContextKeyValues")...)
	}
	var results []evaluationResult
	for _, action := range actions {
		for _, resource := range resources {
			r := iampolicy.EvaluateIdentity(iampolicy.Request{Principal: who.principal(), Action: action, Resource: resource, Context: ctx}, who.policies()...)
			res := evaluationResult{EvalActionName: action, EvalResourceName: resource, EvalDecision: r.Decision.String()}
			if r.Decision == iampolicy.Unknown {
				res.EvalDecision = iampolicy.ImplicitDeny.String()
				for _, m := range r.Missing {
					if k, ok := strings.CutPrefix(m, "key "); ok {
						res.MissingContextValues = append(res.MissingContextValues, k)
					}
				}
			}
			for _, m := range r.Matched {
				res.MatchedStatements = append(res.MatchedStatements, stmtXML{SourcePolicyID: m.Policy, SourcePolicyType: "IAM Policy"})
			}
			results = append(results, res)
		}
	}
	req.succeed()
	writeQueryResult(w, req.http, iamNamespace, "SimulatePrincipalPolicy", req.requestID, struct {
		EvaluationResults []evaluationResult `xml:"EvaluationResults>member"`
		IsTruncated       bool               `xml:"IsTruncated"`
	}{EvaluationResults: results})
}

// members reads a query-protocol list: Name.member.1, Name.member.2, ...
func members(params map[string][]string, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := params[name+".member."+strconv.Itoa(i)]
		if !ok || len(v) == 0 {
			return slices.Clip(out)
		}
		out = append(out, v[0])
	}
}
