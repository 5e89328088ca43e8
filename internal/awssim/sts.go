package awssim

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"kaji.dev/kaji/internal/iampolicy"
)

const stsVersion = "2011-06-15"

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func (s *Server) serveSTS(w http.ResponseWriter, req *request) {
	if v := req.params.Get("Version"); v != stsVersion {
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "InvalidAction",
			message: fmt.Sprintf("Could not find operation %s for version %s", req.params.Get("Action"), v)})
		return
	}
	switch req.params.Get("Action") {
	case "GetCallerIdentity":
		s.getCallerIdentity(w, req)
	case "AssumeRole":
		s.assumeRole(w, req)
	default:
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "InvalidAction",
			message: fmt.Sprintf("Could not find operation %s for version %s", req.params.Get("Action"), stsVersion)})
	}
}

type callerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId" json:"UserId"`
	Account string `xml:"Account"`
}

// getCallerIdentity needs no permission, as in AWS.
func (s *Server) getCallerIdentity(w http.ResponseWriter, req *request) {
	req.succeed()
	writeQueryResult(w, req.http, stsNamespace, "GetCallerIdentity", req.requestID, callerIdentityResult{
		Arn: req.caller.ARN(), UserID: req.caller.UserID(), Account: req.caller.account,
	})
}

type assumeRoleResult struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId" json:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
	AssumedRoleUser struct {
		Arn           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId" json:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
}

// assumeRole issues temporary credentials when the role's trust policy, and where AWS
// requires it the caller's identity policies, allow the caller to assume the role.
func (s *Server) assumeRole(w http.ResponseWriter, req *request) {
	p := req.params
	roleArn, name, externalID := p.Get("RoleArn"), p.Get("RoleSessionName"), p.Get("ExternalId")
	if e := validateAssumeRole(roleArn, name, externalID); e != nil {
		s.fail(w, req, e)
		return
	}
	now := s.now()
	ctx := req.caller.requestContext(now, req.sig.region, req.sourceIP)
	if externalID != "" {
		ctx.Set("sts:ExternalId", externalID)
	}
	ctx.Set("sts:RoleSessionName", name)
	evalReq := iampolicy.Request{Principal: req.caller.principal(), Action: "sts:AssumeRole", Resource: roleArn, Context: ctx}
	denied := &apiError{status: http.StatusForbidden, code: "AccessDenied",
		message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", req.caller.ARN(), roleArn)}

	account, role, ok := s.world.findRole(roleArn)
	if !ok {
		req.call.Detail = "no role with this ARN (name and path) exists"
		s.fail(w, req, denied)
		return
	}
	identity := iampolicy.EvaluateIdentity(evalReq, req.caller.policies()...)
	trustReq := evalReq
	trustReq.Resource = ""
	trust := iampolicy.EvaluateResource(trustReq, iampolicy.Named{Name: "trust policy", Policy: role.TrustPolicy.Parsed})
	decision := iampolicy.AuthorizeAssumeRole(trust, identity, account == req.caller.account)
	if decision.Decision != iampolicy.Allow {
		req.call.Detail = fmt.Sprintf("trust policy: %s; identity policies: %s", describe(trust), describe(identity))
		s.fail(w, req, denied)
		return
	}

	duration := time.Hour
	if v := p.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > 43200 {
			s.fail(w, req, validationError(fmt.Sprintf("Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", v)))
			return
		}
		duration = time.Duration(n) * time.Second
	}
	if duration > time.Duration(role.MaxSessionDuration)*time.Second {
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "ValidationError",
			message: "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."})
		return
	}
	if req.caller.role != nil && duration > time.Hour {
		s.fail(w, req, &apiError{status: http.StatusBadRequest, code: "ValidationError",
			message: "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."})
		return
	}
	keyID, sess := s.world.issueSession(account, role, name, now.Add(duration), req.caller.accessKeyID)
	var res assumeRoleResult
	res.Credentials.AccessKeyID = keyID
	res.Credentials.SecretAccessKey = sess.secret
	res.Credentials.SessionToken = sess.token
	res.Credentials.Expiration = sess.expires.UTC().Format(time.RFC3339)
	res.AssumedRoleUser.Arn = sessionARN(account, role.Name, name)
	res.AssumedRoleUser.AssumedRoleID = roleID(account, role) + ":" + name
	req.succeed()
	writeQueryResult(w, req.http, stsNamespace, "AssumeRole", req.requestID, res)
}

func validateAssumeRole(roleArn, name, externalID string) *apiError {
	var problems []string
	if len(roleArn) < 20 {
		problems = append(problems, fmt.Sprintf("Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", roleArn))
	}
	if !sessionNamePattern.MatchString(name) {
		problems = append(problems, fmt.Sprintf("Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64", name))
	}
	if externalID != "" && (len(externalID) < 2 || len(externalID) > 1224) {
		problems = append(problems, fmt.Sprintf("Value '%s' at 'externalId' failed to satisfy constraint: Member must have length between 2 and 1224", externalID))
	}
	if len(problems) == 0 {
		return nil
	}
	return validationError(strings.Join(problems, "; "))
}

func validationError(problem string) *apiError {
	n := strings.Count(problem, "; ") + 1
	noun := "error"
	if n > 1 {
		noun = "errors"
	}
	return &apiError{status: http.StatusBadRequest, code: "ValidationError",
		message: fmt.Sprintf("%d validation %s detected: %s", n, noun, problem)}
}

// describe summarizes a policy result for Call.Detail.
func describe(r iampolicy.Result) string {
	out := r.Decision.String()
	if len(r.Matched) > 0 {
		out += fmt.Sprintf(" by %v", r.Matched)
	}
	if len(r.Missing) > 0 {
		out += fmt.Sprintf(" (cannot evaluate %s)", strings.Join(r.Missing, ", "))
	}
	return out
}
