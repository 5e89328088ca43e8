package doctor

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/spec"
)

func TestAccessCoverage(t *testing.T) {
	cases := []struct {
		name      string
		policies  []ekstypes.AssociatedAccessPolicy
		uncovered string
		admin     bool
	}{
		{name: "cluster admin", policies: []ekstypes.AssociatedAccessPolicy{entryPolicy("AmazonEKSClusterAdminPolicy", "cluster")}, admin: true},
		{name: "edit everywhere", policies: []ekstypes.AssociatedAccessPolicy{entryPolicy("AmazonEKSEditPolicy", "cluster")}},
		{name: "edit in some", policies: []ekstypes.AssociatedAccessPolicy{entryPolicy("AmazonEKSEditPolicy", "namespace", "apps")}, uncovered: "web,default"},
		{name: "wildcard", policies: []ekstypes.AssociatedAccessPolicy{entryPolicy("AmazonEKSAdminPolicy", "namespace", "we*", "apps", "default")}},
		{name: "view cannot write", policies: []ekstypes.AssociatedAccessPolicy{entryPolicy("AmazonEKSViewPolicy", "cluster")}, uncovered: "apps,web,default"},
		{name: "none", uncovered: "apps,web,default"},
	}
	for _, c := range cases {
		got := accessCoverage(c.policies, []string{"apps", "web", "default"})
		if strings.Join(got.uncovered, ",") != c.uncovered || got.clusterAdmin != c.admin {
			t.Errorf("%s: uncovered %q admin %v, want %q %v", c.name, got.uncovered, got.clusterAdmin, c.uncovered, c.admin)
		}
	}
}

func TestAccessCheck(t *testing.T) {
	entry := func(groups ...string) ekstypes.AccessEntry {
		return ekstypes.AccessEntry{PrincipalArn: aws.String(deployerARN), Type: aws.String("STANDARD"), KubernetesGroups: groups}
	}
	cases := []struct {
		name      string
		mode      string
		eks       fakeEKS
		awsAuthOK bool
		objects   fixedObjects
		status    Status
		summary   string
		commands  []string
	}{
		{name: "cluster admin", mode: ModeAPI, status: OK, summary: "cover every namespace kaji writes to (apps, default)",
			eks: fakeEKS{entries: map[string]ekstypes.AccessEntry{deployerARN: entry()},
				policies: map[string][]ekstypes.AssociatedAccessPolicy{deployerARN: {entryPolicy("AmazonEKSClusterAdminPolicy", "cluster")}}}},
		{name: "scoped elsewhere", mode: ModeAPI, status: Fail, summary: "no access policy lets you write to namespace(s) apps, default",
			eks: fakeEKS{entries: map[string]ekstypes.AccessEntry{deployerARN: entry()},
				policies: map[string][]ekstypes.AssociatedAccessPolicy{deployerARN: {entryPolicy("AmazonEKSEditPolicy", "namespace", "team-a")}}},
			commands: []string{"aws eks associate-access-policy --cluster-name prod --region eu-west-1 --principal-arn " + deployerARN +
				" --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy --access-scope type=namespace,namespaces=apps,default,team-a"}},
		{name: "RBAC objects need admin", mode: ModeAPI, status: Fail, objects: fixedObjects{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}},
			eks: fakeEKS{entries: map[string]ekstypes.AccessEntry{deployerARN: entry()}},
			commands: []string{"aws eks associate-access-policy --cluster-name prod --region eu-west-1 --principal-arn " + deployerARN +
				" --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy --access-scope type=namespace,namespaces=apps,default"}},
		{name: "groups may bring RBAC", mode: ModeAPIAndConfigMap, status: Warn, summary: "RBAC bound to the entry's groups (kaji-deployers) may grant it",
			eks: fakeEKS{entries: map[string]ekstypes.AccessEntry{deployerARN: entry("kaji-deployers")}}},
		{name: "no entry in API mode", mode: ModeAPI, status: Fail, summary: "in API mode EKS reads nothing else",
			eks: fakeEKS{entries: map[string]ekstypes.AccessEntry{aliceARN: {PrincipalArn: aws.String(aliceARN)}}},
			commands: []string{"aws eks create-access-entry --cluster-name prod --region eu-west-1 --principal-arn " + deployerARN + " --type STANDARD",
				"aws eks associate-access-policy --cluster-name prod --region eu-west-1 --principal-arn " + deployerARN +
					" --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy --access-scope type=namespace,namespaces=apps,default"}},
		{name: "no entry, but aws-auth maps", mode: ModeAPIAndConfigMap, awsAuthOK: true, status: Warn, summary: "aws-auth maps you"},
		{name: "entry in another case", mode: ModeAPI, status: Fail,
			eks: fakeEKS{entries: map[string]ekstypes.AccessEntry{strings.ToUpper(deployerARN): {}}}},
		{name: "node entry", mode: ModeAPI, status: Fail, summary: "type EC2_LINUX",
			eks: fakeEKS{entries: map[string]ekstypes.AccessEntry{deployerARN: {PrincipalArn: aws.String(deployerARN), Type: aws.String("EC2_LINUX")}}}},
		{name: "cannot list entries", mode: ModeAPI, status: Unknown, summary: "eks:ListAccessEntries: AccessDeniedException",
			eks:      fakeEKS{listErr: apiErr("AccessDeniedException", "no")},
			commands: []string{"aws iam put-user-policy --user-name alice --policy-name kaji-read-access-entries-prod --policy-document file://read-access-entries.json"}},
		{name: "CONFIG_MAP", mode: ModeConfigMap, status: Skipped},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newState(Target{Resolved: resolved(deployerEKS(), "apps", "apps")}, c.objects, awsWith(nil, nil, &c.eks).AccessEntries)
			s.EKS = deployerEKS()
			s.Cluster = &eks.Cluster{Name: "prod", Region: "eu-west-1", AuthenticationMode: c.mode}
			s.Base, s.Acting = session(t, aliceARN), session(t, sessionARN)
			s.Acting.IAMARN, s.Acting.PathKnown = deployerARN, true
			s.awsAuthMapped = c.awsAuthOK
			if c.objects == nil {
				s.objects = fixedObjects{}
			}
			f := accessCheck{}.run(t.Context(), s)
			if f.Status != c.status || !strings.Contains(f.Summary, c.summary) {
				t.Fatalf("%s: %s, want %s: %s\n%q", f.Status, f.Summary, c.status, c.summary, f.Evidence)
			}
			if c.commands != nil && (f.Fix == nil || strings.Join(f.Fix.Commands, "\n") != strings.Join(c.commands, "\n")) {
				t.Errorf("commands:\n%v\nwant:\n%s", f.Fix, strings.Join(c.commands, "\n"))
			}
		})
	}
}

func TestAccessEntryOfARoleWithoutKnownPath(t *testing.T) {
	// A role session whose path kaji could not read still finds the entry that names the
	// role with its path, as EKS matches it.
	fe := &fakeEKS{entries: map[string]ekstypes.AccessEntry{deployerARN: {PrincipalArn: aws.String(deployerARN), Type: aws.String("STANDARD")}},
		policies: map[string][]ekstypes.AssociatedAccessPolicy{deployerARN: {entryPolicy("AmazonEKSClusterAdminPolicy", "cluster")}}}
	s := newState(Target{Resolved: resolved(nil, "apps")}, fixedObjects{}, awsWith(nil, nil, fe).AccessEntries)
	s.EKS = &spec.EKS{Name: "prod", Region: "eu-west-1"}
	s.Cluster = &eks.Cluster{AuthenticationMode: ModeAPI}
	s.Base = session(t, sessionARN)
	s.Acting = s.Base
	if f := (accessCheck{}).run(t.Context(), s); f.Status != OK {
		t.Errorf("%s: %s", f.Status, f.Summary)
	}
}
