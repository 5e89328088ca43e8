package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"kaji.dev/kaji/internal/spec"
)

// accessPolicyPrefix starts the ARN of every EKS access policy.
const accessPolicyPrefix = "arn:aws:eks::aws:cluster-access-policy/"

// writePolicies are the EKS access policies that let Helm write releases, with the
// Kubernetes role each resembles.
var writePolicies = map[string]string{
	"AmazonEKSClusterAdminPolicy": "cluster-admin",
	"AmazonEKSAdminPolicy":        "admin",
	"AmazonEKSEditPolicy":         "edit",
}

// accessCheck compares the identity's access entry, its access policies and their scope,
// with the namespaces kaji.yaml's releases go to.
type accessCheck struct{}

func (accessCheck) run(ctx context.Context, s *State) Finding {
	switch {
	case s.EKS == nil:
		return skipped("not an EKS cluster")
	case s.Cluster == nil:
		return skipped("needs the cluster's authentication mode (see cluster)")
	case s.mode() == ModeConfigMap:
		return skipped("CONFIG_MAP mode: EKS ignores access entries (see aws-auth)")
	}
	e := s.accessEntry(ctx)
	if e.Problem != "" {
		f := Finding{Status: Unknown, Summary: "cannot read the access entries: " + e.Problem}
		if e.Entry == nil {
			f.Fix = entryReadFix(s)
		}
		return f
	}
	namespaces := s.writeNamespaces()
	if e.Entry == nil {
		evidence := []string{fmt.Sprintf("no access entry for %s", e.Principal)}
		for _, n := range e.Near {
			evidence = append(evidence, "an entry differs in case only: "+n+" (access entries compare ARNs exactly)")
		}
		fix := newEntryFix(ctx, s, e.Principal, namespaces)
		if s.mode() == ModeAPIAndConfigMap && s.awsAuthMapped {
			return Finding{Status: Warn, Summary: "no access entry: aws-auth maps you, which works but AWS has deprecated", Evidence: evidence, Fix: fix}
		}
		summary := fmt.Sprintf("no access entry for %s", e.Principal)
		if s.mode() == ModeAPI {
			summary += ": in API mode EKS reads nothing else (an aws-auth entry is ignored)"
		}
		return Finding{Status: Fail, Summary: summary, Evidence: evidence, Fix: fix}
	}
	entry := e.Entry
	s.mappedGroups = append(s.mappedGroups, entry.KubernetesGroups...)
	evidence := []string{fmt.Sprintf("entry %s: type %s, username %s, groups [%s]", aws.ToString(entry.PrincipalArn), aws.ToString(entry.Type),
		aws.ToString(entry.Username), strings.Join(entry.KubernetesGroups, ", "))}
	for _, p := range e.Policies {
		evidence = append(evidence, "policy "+describePolicy(p))
	}
	if t := aws.ToString(entry.Type); t != "" && t != "STANDARD" {
		return Finding{Status: Fail, Summary: fmt.Sprintf("the access entry has type %s, which is for nodes, not for people or deployers", t), Evidence: evidence,
			Fix: &Fix{Summary: "replace it with a STANDARD entry", Commands: append([]string{
				fmt.Sprintf("aws eks delete-access-entry --cluster-name %s --region %s --principal-arn %s", s.EKS.Name, s.EKS.Region, aws.ToString(entry.PrincipalArn))},
				newEntryFix(ctx, s, aws.ToString(entry.PrincipalArn), namespaces).Commands...)}}
	}
	cov := accessCoverage(e.Policies, namespaces)
	if len(cov.uncovered) == 0 {
		f := ok(fmt.Sprintf("access policies cover every namespace kaji writes to (%s)", strings.Join(namespaces, ", ")), evidence...)
		if needsNamespaceCreation(s) && !cov.clusterAdmin {
			f.Evidence = append(f.Evidence, "creating namespaces (createNamespace) needs RBAC beyond these access policies (see rbac)")
		}
		return f
	}
	f := Finding{Evidence: evidence,
		Summary: fmt.Sprintf("no access policy lets you write to namespace(s) %s", strings.Join(cov.uncovered, ", ")),
		Fix:     associateFix(ctx, s, aws.ToString(entry.PrincipalArn), e.Policies, namespaces)}
	f.Status = Fail
	if len(entry.KubernetesGroups) > 0 {
		f.Status = Warn
		f.Summary += fmt.Sprintf("; RBAC bound to the entry's groups (%s) may grant it (see rbac)", strings.Join(entry.KubernetesGroups, ", "))
	}
	return f
}

// coverage is which namespaces the write policies reach.
type coverage struct {
	uncovered    []string
	clusterAdmin bool
}

func accessCoverage(policies []ekstypes.AssociatedAccessPolicy, namespaces []string) coverage {
	var c coverage
	for _, ns := range namespaces {
		covered := false
		for _, p := range policies {
			name := policyName(p)
			if _, ok := writePolicies[name]; !ok || p.AccessScope == nil {
				continue
			}
			switch p.AccessScope.Type {
			case ekstypes.AccessScopeTypeCluster:
				covered = true
				if name == "AmazonEKSClusterAdminPolicy" {
					c.clusterAdmin = true
				}
			case ekstypes.AccessScopeTypeNamespace:
				covered = covered || slices.ContainsFunc(p.AccessScope.Namespaces, func(pat string) bool { return namespaceMatches(pat, ns) })
			}
		}
		if !covered {
			c.uncovered = append(c.uncovered, ns)
		}
	}
	return c
}

// namespaceMatches matches an access scope namespace, which may end in a * wildcard.
func namespaceMatches(pattern, ns string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(ns, prefix)
	}
	return pattern == ns
}

func policyName(p ekstypes.AssociatedAccessPolicy) string {
	arn := aws.ToString(p.PolicyArn)
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

func describePolicy(p ekstypes.AssociatedAccessPolicy) string {
	scope := "no scope"
	if p.AccessScope != nil {
		scope = string(p.AccessScope.Type)
		if p.AccessScope.Type == ekstypes.AccessScopeTypeNamespace {
			scope += " [" + strings.Join(p.AccessScope.Namespaces, ", ") + "]"
		}
	}
	access := "read-only"
	if r, ok := writePolicies[policyName(p)]; ok {
		access = "like " + r
	}
	return fmt.Sprintf("%s (%s), scope %s", policyName(p), access, scope)
}

func needsNamespaceCreation(s *State) bool {
	return slices.ContainsFunc(s.Target.Resolved.Releases, func(r spec.ResolvedRelease) bool { return r.CreateNamespace })
}

// recommendedPolicy is the narrowest access policy that lets Helm write what the releases
// render: edit, unless they include RBAC objects, which need admin.
func recommendedPolicy(ctx context.Context, s *State) string {
	for _, ro := range s.releaseObjects(ctx) {
		for _, o := range ro.Objects {
			if strings.HasPrefix(o.APIVersion, "rbac.authorization.k8s.io/") {
				return "AmazonEKSAdminPolicy"
			}
		}
	}
	return "AmazonEKSEditPolicy"
}

// newEntryFix creates the entry and associates the narrowest fitting policy with the
// releases' namespaces.
func newEntryFix(ctx context.Context, s *State, principal string, namespaces []string) *Fix {
	f := associateFix(ctx, s, principal, nil, namespaces)
	f.Commands = append([]string{fmt.Sprintf("aws eks create-access-entry --cluster-name %s --region %s --principal-arn %s --type STANDARD",
		s.EKS.Name, s.EKS.Region, principal)}, f.Commands...)
	f.Summary = "create an access entry for " + principal + " and " + f.Summary
	return f
}

// associateFix associates a write policy scoped to every release namespace (those it
// already covers included: associating again replaces the scope).
func associateFix(ctx context.Context, s *State, principal string, existing []ekstypes.AssociatedAccessPolicy, namespaces []string) *Fix {
	policy := recommendedPolicy(ctx, s)
	scope := slices.Clone(namespaces)
	for _, p := range existing {
		if policyName(p) == policy && p.AccessScope != nil {
			for _, ns := range p.AccessScope.Namespaces {
				if !slices.Contains(scope, ns) {
					scope = append(scope, ns)
				}
			}
		}
	}
	slices.Sort(scope)
	summary := fmt.Sprintf("associate %s (like the %s ClusterRole) with the namespaces kaji writes to: the releases' and the project lock's (%s; apply --lock-namespace moves it)",
		policy, writePolicies[policy], s.Target.lockNamespace())
	if needsNamespaceCreation(s) {
		summary += "; namespace-scoped policies cannot create namespaces: create them beforehand and set createNamespace: false, or grant namespaces create with RBAC (see rbac)"
	}
	return &Fix{Summary: summary, Commands: []string{fmt.Sprintf(
		"aws eks associate-access-policy --cluster-name %s --region %s --principal-arn %s --policy-arn %s%s --access-scope type=namespace,namespaces=%s",
		s.EKS.Name, s.EKS.Region, principal, accessPolicyPrefix, policy, strings.Join(scope, ","))}}
}

// entryReadFix lets the caller read the cluster's access entries.
func entryReadFix(s *State) *Fix {
	sess := s.Base
	if sess == nil {
		return nil
	}
	cluster := fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", s.EKS.Region, sess.Account, s.EKS.Name)
	entries := fmt.Sprintf("arn:aws:eks:%s:%s:access-entry/%s/*", s.EKS.Region, sess.Account, s.EKS.Name)
	return iamPolicyFix(sess, "kaji-read-access-entries-"+s.EKS.Name, "read-access-entries.json",
		sess.IAMARN+" needs to read the access entries for doctor to check them",
		[]string{"eks:ListAccessEntries", "eks:DescribeAccessEntry", "eks:ListAssociatedAccessPolicies"}, []string{cluster, entries})
}
