package doctor

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"kaji.dev/kaji/internal/eks/awsauth"
)

// awsAuthCheck reads kube-system/aws-auth (or a copy of it) and says whether an entry maps
// the identity kaji acts with, and if not, which entry was meant to and why it does not.
type awsAuthCheck struct{}

func (awsAuthCheck) run(ctx context.Context, s *State) Finding {
	switch {
	case s.EKS == nil:
		return skipped("not an EKS cluster")
	case s.Cluster == nil:
		return skipped("needs the cluster's authentication mode (see cluster)")
	case s.mode() == ModeAPI:
		return skipped("API mode: EKS ignores aws-auth (see access-entries)")
	case s.Acting == nil:
		return skipped("needs the identity kaji acts with: " + s.ActingProblem)
	}
	sess := s.Acting
	if s.mode() == ModeAPIAndConfigMap {
		if e := s.accessEntry(ctx); e.Entry != nil {
			return ok("an access entry maps you first (see access-entries), so EKS does not look at aws-auth")
		}
	}
	a, source, f, found := readAWSAuth(ctx, s)
	if !found {
		return f
	}
	evidence := []string{fmt.Sprintf("read from %s: %d mapRoles, %d mapUsers, %d mapAccounts", source, len(a.MapRoles), len(a.MapUsers), len(a.MapAccounts)),
		"you are " + sess.ARN + ", which EKS looks up as " + sess.Canonical}
	an := analyzeAWSAuth(a, sess.Canonical, sess.Account)
	for _, m := range an.Misses {
		evidence = append(evidence, fmt.Sprintf("%s[%d] %s %s", m.Key, m.Index, m.ARN, m.Reason))
	}
	if an.Match == nil {
		f := Finding{Status: Fail, Summary: fmt.Sprintf("no aws-auth entry matches %s", sess.Canonical), Evidence: evidence}
		if len(an.Misses) > 0 {
			m := an.Misses[0]
			f.Summary = fmt.Sprintf("%s[%d] %s %s", m.Key, m.Index, m.ARN, m.Reason)
		}
		f.Fix = awsAuthFix(a, an, sess, s)
		return f
	}
	m := an.Match
	s.awsAuthMapped = true
	s.mappedGroups = append(s.mappedGroups, m.Groups...)
	evidence = append(evidence, fmt.Sprintf("matched %s %s: username %q, groups [%s]", m.Key, m.ARN, orDefault(m.Username, sess.Canonical), strings.Join(m.Groups, ", ")))
	if an.CaseDiffers {
		f := Finding{Status: Warn, Summary: fmt.Sprintf("%s %s matches only because EKS ignores case here; IAM reports %s", m.Key, m.ARN, sess.Canonical), Evidence: evidence}
		f.Fix = awsAuthFix(a, an, sess, s)
		f.Fix.Summary = "write the ARN exactly as IAM reports it: access entries, trust and IAM policies compare ARNs exactly, and a later edit that copies it will break"
		return f
	}
	if unbound, note := unboundGroups(ctx, s, m.Groups); note != "" {
		evidence = append(evidence, note)
	} else if len(unbound) > 0 {
		return Finding{Status: Warn, Summary: fmt.Sprintf("mapped, but no RoleBinding or ClusterRoleBinding uses the group(s) %s: you are authenticated and allowed nothing", strings.Join(unbound, ", ")),
			Evidence: evidence, Fix: &Fix{Summary: "bind the group: the rbac check prints a Role and RoleBinding that grant what kaji needs"}}
	}
	return ok(fmt.Sprintf("%s %s maps you to %s", m.Key, m.ARN, orDefault(m.Username, sess.Canonical)), evidence...)
}

// readAWSAuth reads aws-auth: the copy given, else the live ConfigMap. When found is false,
// f is the finding to report.
func readAWSAuth(ctx context.Context, s *State) (a awsauth.AWSAuth, source string, f Finding, found bool) {
	if s.Target.AWSAuth != nil {
		return *s.Target.AWSAuth, s.Target.AWSAuthSource, Finding{}, true
	}
	where := awsauth.Namespace + "/" + awsauth.Name
	if s.Kube == nil {
		return a, "", skipped("needs a connection to the API server to read " + where + ": " + kubeProblem(s)), false
	}
	cm, err := s.Kube.ConfigMaps.ConfigMap(ctx, awsauth.Namespace, awsauth.Name)
	switch {
	case apierrors.IsNotFound(err):
		f := Finding{Status: Fail, Summary: where + " does not exist"}
		f.Fix = awsAuthFix(awsauth.AWSAuth{}, awsAuthAnalysis{}, s.Acting, s)
		return a, "", f, false
	case apierrors.IsUnauthorized(err):
		return a, "", Finding{Status: Unknown,
			Summary: fmt.Sprintf("cannot read %s (401 Unauthorized): EKS does not map you, and in EKS only an identity that is already mapped can read it", where),
			Fix:     expectedEntryFix(s)}, false
	case apierrors.IsForbidden(err):
		return a, "", Finding{Status: Unknown,
			Summary: fmt.Sprintf("cannot read %s (403 Forbidden): you are mapped, but may not read ConfigMaps in kube-system", where),
			Fix:     expectedEntryFix(s)}, false
	case err != nil:
		return a, "", Finding{Status: Unknown, Summary: fmt.Sprintf("cannot read %s: %v", where, err), Fix: expectedEntryFix(s)}, false
	}
	a, err = awsauth.Parse(cm.Data)
	if err != nil {
		return a, "", Finding{Status: Fail, Summary: fmt.Sprintf("%s is malformed, so EKS maps nobody through it: %v", where, err),
			Fix: &Fix{Summary: "repair the YAML of mapRoles, mapUsers and mapAccounts", Commands: []string{"kubectl -n kube-system edit configmap aws-auth"}}}, false
	}
	return a, "the cluster (" + where + ")", Finding{}, true
}

// awsAuthFix is aws-auth with the identity's entry corrected or added.
func awsAuthFix(a awsauth.AWSAuth, an awsAuthAnalysis, sess *Session, s *State) *Fix {
	fixed := an.corrected(a, sess)
	text, err := configMapYAML(fixed)
	if err != nil {
		return &Fix{Summary: err.Error()}
	}
	summary := fmt.Sprintf("map %s (the role ARN without its path, never the assumed-role ARN): apply this aws-auth as a cluster admin", sess.Canonical)
	if !sess.IsRole() {
		summary = fmt.Sprintf("map %s: apply this aws-auth as a cluster admin", sess.Canonical)
	}
	if len(an.Misses) == 0 && an.Match == nil {
		summary += fmt.Sprintf("; it maps you to the group %s, which the rbac check's Role binds", suggestedGroup)
	}
	if s.mode() == ModeAPIAndConfigMap {
		summary += "; or, better, create an access entry (see access-entries)"
	}
	return &Fix{Summary: summary, Snippet: &Snippet{Format: "yaml", File: "aws-auth.yaml", Text: text},
		Commands: []string{"kubectl apply -f aws-auth.yaml   # replaces mapRoles, mapUsers and mapAccounts with the file's"}}
}

// expectedEntryFix says which entry aws-auth needs when it cannot be read.
func expectedEntryFix(s *State) *Fix {
	sess := s.Acting
	var key string
	var entry any
	if sess.IsRole() {
		key, entry = "mapRoles", newRoleMapping(sess)
	} else {
		key, entry = "mapUsers", awsauth.UserMapping{UserARN: sess.Canonical, Username: sess.Canonical, Groups: []string{suggestedGroup}}
	}
	f := &Fix{
		Summary: fmt.Sprintf("aws-auth needs an entry for %s, written exactly so (a role without its path, not the assumed-role ARN); "+
			"ask a cluster admin to check it, or for a copy to analyse with `kaji doctor --aws-auth aws-auth.yaml`", sess.Canonical),
		Snippet: &Snippet{Format: "yaml", File: "aws-auth entry", Text: mappingYAML(key, entry)},
		Commands: []string{
			"kubectl -n kube-system get configmap aws-auth -o yaml > aws-auth.yaml   # as a cluster admin",
			"kaji doctor --aws-auth aws-auth.yaml",
		},
	}
	if sess.IsRole() {
		f.Commands = append(f.Commands, fmt.Sprintf("eksctl create iamidentitymapping --cluster %s --region %s --arn %s --username 'kaji:{{SessionName}}' --group %s   # as a cluster admin",
			s.EKS.Name, s.EKS.Region, sess.Canonical, suggestedGroup))
	}
	return f
}

// unboundGroups lists the groups no binding names; note says why that is unknown.
func unboundGroups(ctx context.Context, s *State, groups []string) (unbound []string, note string) {
	var check []string
	for _, g := range groups {
		if g == "system:masters" {
			return nil, ""
		}
		if !strings.HasPrefix(g, "system:") {
			check = append(check, g)
		}
	}
	if len(check) == 0 {
		return nil, ""
	}
	if s.Kube == nil {
		return nil, "cannot tell whether bindings use the groups: " + s.KubeProblem
	}
	bound, err := boundGroups(ctx, s.Kube.Bindings)
	if err != nil {
		return nil, "cannot list bindings to see whether they use the groups: " + statusReason(err)
	}
	for _, g := range check {
		if !bound[g] {
			unbound = append(unbound, g)
		}
	}
	return unbound, ""
}

// boundGroups is the set of groups some RoleBinding or ClusterRoleBinding names.
func boundGroups(ctx context.Context, b BindingLister) (map[string]bool, error) {
	out := map[string]bool{}
	crbs, err := b.ClusterRoleBindings(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range crbs {
		for _, sub := range x.Subjects {
			if sub.Kind == "Group" {
				out[sub.Name] = true
			}
		}
	}
	rbs, err := b.RoleBindings(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range rbs {
		for _, sub := range x.Subjects {
			if sub.Kind == "Group" {
				out[sub.Name] = true
			}
		}
	}
	return out, nil
}

// statusReason is a short form of a Kubernetes API error.
func statusReason(err error) string {
	switch {
	case apierrors.IsUnauthorized(err):
		return "401 Unauthorized"
	case apierrors.IsForbidden(err):
		return "403 Forbidden"
	}
	return err.Error()
}
