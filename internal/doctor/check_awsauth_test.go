package doctor

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/eks/awsauth"
)

func awsAuthMap(t *testing.T, roles ...awsauth.RoleMapping) *corev1.ConfigMap {
	t.Helper()
	data, err := awsauth.AWSAuth{MapRoles: roles}.Data()
	if err != nil {
		t.Fatal(err)
	}
	return &corev1.ConfigMap{Data: data}
}

func TestAWSAuthCheck(t *testing.T) {
	crb := rbacv1.ClusterRoleBinding{Subjects: []rbacv1.Subject{{Kind: "Group", Name: "kaji-deployers"}}}
	cases := []struct {
		name    string
		mode    string
		kube    fakeKube
		copy    *awsauth.AWSAuth
		entry   bool // the deployer has an access entry
		status  Status
		summary string
		snippet string
	}{
		{name: "mapped", mode: ModeConfigMap, status: OK, summary: "mapRoles " + canonical + " maps you to kaji:{{SessionName}}",
			kube: fakeKube{awsAuth: awsAuthMap(t, awsauth.RoleMapping{RoleARN: canonical, Username: "kaji:{{SessionName}}", Groups: []string{"kaji-deployers"}}), bindings: []rbacv1.ClusterRoleBinding{crb}}},
		{name: "mapped to a group nothing binds", mode: ModeConfigMap, status: Warn, summary: "no RoleBinding or ClusterRoleBinding uses the group(s) lonely",
			kube: fakeKube{awsAuth: awsAuthMap(t, awsauth.RoleMapping{RoleARN: canonical, Groups: []string{"lonely", "system:authenticated"}}), bindings: []rbacv1.ClusterRoleBinding{crb}}},
		{name: "system:masters needs no binding", mode: ModeConfigMap, status: OK,
			kube: fakeKube{awsAuth: awsAuthMap(t, awsauth.RoleMapping{RoleARN: canonical, Groups: []string{"system:masters"}})}},
		{name: "path left in", mode: ModeConfigMap, status: Fail, summary: "includes the role's path /platform/", snippet: "rolearn: " + canonical,
			kube: fakeKube{awsAuth: awsAuthMap(t, awsauth.RoleMapping{RoleARN: deployerARN, Groups: []string{"system:masters"}})}},
		{name: "case differs", mode: ModeConfigMap, status: Warn, summary: "matches only because EKS ignores case", snippet: "rolearn: " + canonical,
			kube: fakeKube{awsAuth: awsAuthMap(t, awsauth.RoleMapping{RoleARN: strings.ToUpper(canonical), Groups: []string{"system:masters"}})}},
		{name: "no aws-auth", mode: ModeConfigMap, status: Fail, summary: "kube-system/aws-auth does not exist", snippet: "name: aws-auth"},
		{name: "not mapped yet", mode: ModeConfigMap, kube: fakeKube{readErr: unauthorized()}, status: Unknown,
			summary: "only an identity that is already mapped can read it", snippet: "rolearn: " + canonical},
		{name: "mapped without RBAC to read it", mode: ModeAPIAndConfigMap, status: Unknown, summary: "you are mapped, but may not read ConfigMaps in kube-system",
			kube: fakeKube{readErr: apierrors.NewForbidden(schema.GroupResource{Resource: "configmaps"}, "aws-auth", nil)}},
		{name: "a copy from an admin", mode: ModeConfigMap, kube: fakeKube{readErr: unauthorized()}, status: Fail,
			copy: &awsauth.AWSAuth{MapRoles: []awsauth.RoleMapping{{RoleARN: sessionARN}}}, summary: "is an STS assumed-role (session) ARN"},
		{name: "an access entry comes first", mode: ModeAPIAndConfigMap, entry: true, kube: fakeKube{readErr: unauthorized()}, status: OK, summary: "an access entry maps you first"},
		{name: "API mode ignores it", mode: ModeAPI, status: Skipped, summary: "EKS ignores aws-auth"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			entries := &fakeEKS{}
			if c.entry {
				entries.entries = map[string]ekstypesAccessEntry{deployerARN: {PrincipalArn: ptr(deployerARN)}}
			}
			s := newState(Target{Resolved: resolved(deployerEKS(), "apps"), AWSAuth: c.copy, AWSAuthSource: "aws-auth.yaml"}, nil, awsWith(nil, nil, entries).AccessEntries)
			s.EKS = deployerEKS()
			s.Cluster = &eks.Cluster{Name: "prod", Region: "eu-west-1", AuthenticationMode: c.mode}
			s.Base, s.Acting = session(t, aliceARN), session(t, sessionARN)
			s.Acting.IAMARN, s.Acting.PathKnown = deployerARN, true
			s.Kube = c.kube.kube()
			f := awsAuthCheck{}.run(t.Context(), s)
			if f.Status != c.status || !strings.Contains(f.Summary, c.summary) {
				t.Fatalf("%s: %s\nwant %s: %s\n%q", f.Status, f.Summary, c.status, c.summary, f.Evidence)
			}
			if c.snippet != "" {
				checkFix(t, f.Fix, "", "", c.snippet)
			}
		})
	}
}
