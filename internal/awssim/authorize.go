package awssim

import (
	"fmt"
	"net/http"

	"kaji.dev/kaji/internal/iampolicy"
)

// authorize checks the caller's identity policies for action on resource, as AWS does for
// every call but sts:GetCallerIdentity and sts:AssumeRole (which has its own rules). Lookups
// stay in the caller's account: EKS clusters and IAM roles have no resource policies that
// could open them to other accounts.
func (s *Server) authorize(req *request, action, resource string) *apiError {
	ctx := req.caller.requestContext(s.now(), req.sig.region, req.sourceIP)
	r := iampolicy.EvaluateIdentity(iampolicy.Request{
		Principal: req.caller.principal(), Action: action, Resource: resource, Context: ctx,
	}, req.caller.policies()...)
	reason := ""
	switch {
	case r.Decision == iampolicy.ExplicitDeny:
		reason = " with an explicit deny in an identity-based policy"
	case r.Decision == iampolicy.Allow:
		return nil
	default:
		reason = " because no identity-based policy allows the " + action + " action"
	}
	req.call.Detail = "identity policies: " + describe(r)
	return &apiError{status: http.StatusForbidden, code: "AccessDenied",
		message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s%s", req.caller.ARN(), action, resource, reason)}
}
