package doctor

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// whoAmICheck asks the API server who it thinks kaji is (SelfSubjectReview).
func whoAmICheck(ctx context.Context, s *State) Finding {
	if s.Kube == nil {
		return skipped("needs a connection to the API server: " + kubeProblem(s))
	}
	u, err := s.whoAmI(ctx)
	if err != nil {
		if apierrors.IsUnauthorized(err) {
			f := Finding{Status: Fail, Summary: "the API server rejects kaji's credentials (401 Unauthorized: it asks the client to provide credentials)"}
			if s.Acting != nil {
				f.Summary = fmt.Sprintf("the API server rejects kaji's token for %s (401 Unauthorized): EKS maps %s to no Kubernetes user", s.Acting.ARN, s.Acting.Canonical)
			}
			f.Fix = mappingFix(s)
			return f
		}
		return Finding{Status: Fail, Summary: "SelfSubjectReview: " + err.Error()}
	}
	evidence := []string{"groups: " + orNone(u.Groups)}
	if arn := u.Extra["arn"]; len(arn) > 0 {
		evidence = append(evidence, "AWS identity: "+strings.Join(arn, ", "))
	}
	return ok("you are "+u.Username, evidence...)
}

// kubeProblem says why there is no Kubernetes client.
func kubeProblem(s *State) string {
	switch {
	case s.KubeProblem != "":
		return s.KubeProblem
	case !s.Reachable:
		return "the API server is unreachable (see cluster)"
	}
	return "no connection"
}

// mappingFix points at the finding that says how to map the identity in the cluster's
// authentication mode.
func mappingFix(s *State) *Fix {
	if s.EKS == nil || s.Acting == nil {
		return &Fix{Summary: "the kubeconfig's credentials are not accepted: refresh them, or ask the cluster's admins which identity to use"}
	}
	where := map[string]string{
		ModeConfigMap:       "the aws-auth finding",
		ModeAPI:             "the access-entries finding",
		ModeAPIAndConfigMap: "the access-entries finding (or the aws-auth one)",
	}[s.mode()]
	if where == "" {
		where = "the aws-auth and access-entries findings"
	}
	return &Fix{Summary: fmt.Sprintf("map %s as %s above says", s.Acting.Canonical, where)}
}
