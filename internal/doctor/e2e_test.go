package doctor_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/doctor"
)

// Scenario 1: the deployer role's trust policy does not let alice in.
func TestE2ETrustPolicyDeniesCaller(t *testing.T) {
	w := e2e(t)
	w.useSim(t)
	ns := w.namespace(t, "s1-trust")
	file := writeKaji(t, "s1", eksCluster, release{"settings", ns, "settings"})
	onlyCarol := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/carol"}, "Action": "sts:AssumeRole"}]}`
	w.setTrust(t, onlyCarol)

	applyFails(t, file, "AccessDenied", "is not authorized to perform: sts:AssumeRole", doctor.HintText)

	text := doctorRun(t, file)
	if text.code != 1 {
		t.Fatalf("doctor: %s", text)
	}
	golden(t, "trust-policy", text.out, file.path, "$KAJI_YAML")

	raw := doctorRun(t, file, "-o", "json")
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw.out), &top); err != nil || raw.code != 1 {
		t.Fatalf("doctor -o json: %v\n%s", err, raw)
	}
	if string(top["apiVersion"]) != `"kaji.dev/doctor/v1alpha1"` || string(top["failed"]) != "1" || string(top["target"]) != `"EKS cluster prod in eu-west-1 (cluster.eks)"` || string(top["project"]) != `"s1"` {
		t.Errorf("JSON report: failed %s, target %s, project %s", top["failed"], top["target"], top["project"])
	}
	rep := doctorJSON(t, 1, file)
	wantStatuses(t, rep, map[string]doctor.Status{
		"kubeconfig": doctor.Skipped, "aws-identity": doctor.OK, "role-trust": doctor.Fail,
		// The cluster is still described, with alice's own credentials.
		"cluster": doctor.OK, "authentication-mode": doctor.OK, "access-entries": doctor.OK,
		"aws-auth": doctor.Skipped, "who-am-i": doctor.Skipped, "rbac": doctor.Skipped,
	})
	f := finding(t, rep, "role-trust", doctor.Fail)
	if f.Fix == nil || f.Fix.Snippet == nil || !strings.Contains(f.Fix.Commands[0], "update-assume-role-policy --role-name kaji-deployer") {
		t.Fatalf("role-trust fix = %+v", f.Fix)
	}
	// The fix is the whole new trust policy: carol's statement kept, alice's added with the
	// external id.
	var doc awssim.PolicyDocument
	if err := json.Unmarshal([]byte(f.Fix.Snippet.Text), &doc); err != nil {
		t.Fatalf("trust policy snippet: %v\n%s", err, f.Fix.Snippet.Text)
	}
	if n := len(doc.Parsed.Statements); n != 2 || !strings.Contains(f.Fix.Snippet.Text, `"sts:ExternalId": "kaji-e2e"`) {
		t.Fatalf("trust policy snippet has %d statements:\n%s", n, f.Fix.Snippet.Text)
	}
	if err := w.sim.UpdateRole(deployerARN, func(r *awssim.Role) { r.TrustPolicy = doc }); err != nil {
		t.Fatal(err)
	}

	doctorJSON(t, 0, file)
	applySucceeds(t, file)
}

// unauthorized is how apply fails when EKS maps kaji's identity to no user.
var unauthorized = []string{"Unauthorized", doctor.HintText}

// awsAuthScenario runs scenarios 2 and 3: a CONFIG_MAP cluster whose aws-auth has a mapRoles
// entry meant for the deployer, written as rolearn, that EKS will never match.
func awsAuthScenario(t *testing.T, ns, rolearn, wantMiss, goldenName string) {
	w := e2e(t)
	w.useSim(t)
	w.namespace(t, ns)
	file := writeKaji(t, ns, eksCluster, release{"settings", ns, "settings"})
	w.updateCluster(t, func(c *awssim.ClusterConfig) { c.AuthenticationMode = awssim.ModeConfigMap })
	w.setAWSAuth(t, awssim.RoleMapping{RoleARN: rolearn, Username: "kaji:{{SessionName}}", Groups: []string{"system:masters"}})

	applyFails(t, file, unauthorized...)

	// kaji cannot read aws-auth before it is mapped: the link is unknown, who-am-i fails,
	// and the fix names the entry to write.
	text := doctorRun(t, file)
	if text.code != 1 {
		t.Fatalf("doctor: %s", text)
	}
	if goldenName != "" {
		golden(t, goldenName, text.out)
	}
	rep := doctorJSON(t, 1, file)
	wantStatuses(t, rep, map[string]doctor.Status{
		"role-trust": doctor.OK, "cluster": doctor.OK, "authentication-mode": doctor.Warn, "aws-auth": doctor.Unknown,
		"access-entries": doctor.Skipped, "who-am-i": doctor.Fail, "rbac": doctor.Skipped,
	})
	f := finding(t, rep, "aws-auth", doctor.Unknown)
	if !strings.Contains(f.Summary, "only an identity that is already mapped") || !strings.Contains(f.Fix.Snippet.Text, "rolearn: "+canonical) {
		t.Errorf("aws-auth finding = %s, fix %+v", f.Summary, f.Fix)
	}

	// With a copy from a cluster admin, doctor says what is wrong with the entry.
	copyPath := w.awsAuthCopy(t)
	rep = doctorJSON(t, 1, file, "--aws-auth", copyPath)
	f = finding(t, rep, "aws-auth", doctor.Fail)
	if !strings.Contains(f.Summary, wantMiss) {
		t.Errorf("aws-auth summary = %q, want it to say %q", f.Summary, wantMiss)
	}
	w.applyManifest(t, f.Fix.Snippet.Text)

	doctorJSON(t, 0, file)
	applySucceeds(t, file)
}

// Scenario 2: aws-auth has the role's ARN with its path.
func TestE2EAWSAuthRoleWithPath(t *testing.T) {
	awsAuthScenario(t, "s2-path", deployerARN, "includes the role's path /platform/", "aws-auth-unreadable")
}

// Scenario 3: aws-auth has the STS assumed-role ARN.
func TestE2EAWSAuthAssumedRoleARN(t *testing.T) {
	awsAuthScenario(t, "s3-assumed", sessionARN, "is an STS assumed-role (session) ARN", "")
}

// Scenario 4: an API-mode cluster whose only mapping of the deployer is in aws-auth.
func TestE2EAPIModeWithOnlyAWSAuth(t *testing.T) {
	w := e2e(t)
	w.useSim(t)
	ns := w.namespace(t, "s4-api")
	file := writeKaji(t, "s4", eksCluster, release{"settings", ns, "settings"})
	w.updateCluster(t, func(c *awssim.ClusterConfig) { c.AuthenticationMode = awssim.ModeAPI })
	w.setDeployerEntry(t, nil)
	w.setAWSAuth(t, awssim.RoleMapping{RoleARN: canonical, Username: "kaji:{{SessionName}}", Groups: []string{"system:masters"}})

	applyFails(t, file, unauthorized...)

	rep := doctorJSON(t, 1, file)
	wantStatuses(t, rep, map[string]doctor.Status{
		"authentication-mode": doctor.OK, "aws-auth": doctor.Skipped, "access-entries": doctor.Fail, "who-am-i": doctor.Fail, "rbac": doctor.Skipped,
	})
	f := finding(t, rep, "access-entries", doctor.Fail)
	if !strings.Contains(f.Summary, "no access entry for "+deployerARN) || !strings.Contains(f.Summary, "aws-auth entry is ignored") {
		t.Errorf("access-entries summary = %q", f.Summary)
	}
	if len(f.Fix.Commands) != 2 || !strings.HasPrefix(f.Fix.Commands[0], "aws eks create-access-entry --cluster-name prod --region eu-west-1 --principal-arn "+deployerARN) {
		t.Fatalf("fix commands = %q", f.Fix.Commands)
	}
	w.runEKSCommands(t, f.Fix.Commands)

	doctorJSON(t, 0, file)
	applySucceeds(t, file)
}

// Scenario 5: the deployer's access policy is scoped to another namespace.
func TestE2EAccessPolicyScopedElsewhere(t *testing.T) {
	w := e2e(t)
	w.useSim(t)
	ns := w.namespace(t, "s5-scope")
	file := writeKaji(t, "s5", eksCluster, release{"settings", ns, "settings"})
	w.setDeployerEntry(t, &awssim.AccessEntryConfig{PrincipalARN: deployerARN, AccessPolicies: []awssim.AccessPolicyAssociation{
		{PolicyARN: editPolicy, AccessScope: awssim.AccessScope{Type: "namespace", Namespaces: []string{"team-a"}}},
	}})

	applyFails(t, file, "is forbidden", `in the namespace "s5-scope"`, doctor.HintText)

	rep := doctorJSON(t, 1, file)
	wantStatuses(t, rep, map[string]doctor.Status{"access-entries": doctor.Fail, "who-am-i": doctor.OK, "rbac": doctor.Fail})
	f := finding(t, rep, "access-entries", doctor.Fail)
	if !strings.Contains(f.Summary, "no access policy lets you write to namespace(s) s5-scope") {
		t.Errorf("access-entries summary = %q", f.Summary)
	}
	if len(f.Fix.Commands) != 1 || !strings.HasSuffix(f.Fix.Commands[0], "--access-scope type=namespace,namespaces=s5-scope,team-a") {
		t.Fatalf("fix commands = %q", f.Fix.Commands)
	}
	w.runEKSCommands(t, f.Fix.Commands)

	doctorJSON(t, 0, file)
	applySucceeds(t, file)
}

// Scenario 6: RBAC grants everything but list on secrets.
func TestE2ERBACWithoutListSecrets(t *testing.T) {
	w := e2e(t)
	w.useSim(t)
	ns := w.namespace(t, "s6-rbac")
	file := writeKaji(t, "s6", eksCluster, release{"settings", ns, "settings"}, release{"api", ns, "app"})
	w.setDeployerEntry(t, &awssim.AccessEntryConfig{PrincipalARN: deployerARN, KubernetesGroups: []string{"kaji-deployers"}})
	w.applyManifest(t, `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: s6-rbac}
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get, create, update, delete]
  - apiGroups: ["", apps, coordination.k8s.io]
    resources: [configmaps, services, deployments, leases]
    verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer, namespace: s6-rbac}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: kaji-deployers}]
`)

	applyFails(t, file, "forbidden", `cannot list resource "secrets"`)

	text := doctorRun(t, file)
	if text.code != 1 {
		t.Fatalf("doctor: %s", text)
	}
	golden(t, "rbac-list-secrets", text.out)
	rep := doctorJSON(t, 1, file)
	wantStatuses(t, rep, map[string]doctor.Status{"access-entries": doctor.Warn, "who-am-i": doctor.OK, "rbac": doctor.Fail})
	f := finding(t, rep, "rbac", doctor.Fail)
	if !strings.HasPrefix(f.Summary, "1 of ") || !strings.Contains(f.Summary, "list secrets in s6-rbac") {
		t.Errorf("rbac summary = %q", f.Summary)
	}
	if !strings.Contains(f.Fix.Snippet.Text, "name: kaji-deployers") {
		t.Errorf("the RBAC fix does not bind the entry's group:\n%s", f.Fix.Snippet.Text)
	}
	w.applyManifest(t, f.Fix.Snippet.Text)

	doctorJSON(t, 0, file)
	applySucceeds(t, file)
}

// Scenario 7: a kubeconfig whose exec plugin still says v1alpha1, with no aws on PATH.
func TestE2EKubeconfigExecPlugin(t *testing.T) {
	w := e2e(t)
	w.useSim(t)
	ns := w.namespace(t, "s7-exec")
	// alice herself is mapped: the plugin signs tokens as her.
	w.updateCluster(t, func(c *awssim.ClusterConfig) {
		c.AccessEntries = append(c.AccessEntries, awssim.AccessEntryConfig{PrincipalARN: aliceARN, Type: "STANDARD",
			AccessPolicies: []awssim.AccessPolicyAssociation{{PolicyARN: clusterAdminPolicy, AccessScope: awssim.AccessScope{Type: "cluster"}}}})
	})
	bin := t.TempDir()
	t.Setenv("PATH", bin)
	kubeconfig := w.execKubeconfig(t, "client.authentication.k8s.io/v1alpha1")
	file := writeKaji(t, "s7", "  kubeconfig: "+kubeconfig+"\n  kubeContext: prod", release{"settings", ns, "settings"})

	applyFails(t, file, `exec plugin: invalid apiVersion "client.authentication.k8s.io/v1alpha1"`, doctor.HintText)

	rep := doctorJSON(t, 1, file)
	wantStatuses(t, rep, map[string]doctor.Status{
		"kubeconfig": doctor.Fail,
		// The plugin names the cluster, so the AWS side is still checked.
		"aws-identity": doctor.OK, "role-trust": doctor.Skipped, "cluster": doctor.OK, "access-entries": doctor.OK,
		"who-am-i": doctor.Skipped, "rbac": doctor.Skipped,
	})
	f := finding(t, rep, "kubeconfig", doctor.Fail)
	for _, want := range []string{"invalid apiVersion", "executable aws not found"} {
		if !strings.Contains(f.Summary, want) {
			t.Errorf("kubeconfig summary %q lacks %q", f.Summary, want)
		}
	}
	if !strings.Contains(f.Fix.Snippet.Text, "apiVersion: client.authentication.k8s.io/v1beta1") ||
		!slices.Contains(f.Fix.Commands, "aws eks update-kubeconfig --name prod --region eu-west-1 --alias prod") {
		t.Errorf("kubeconfig fix = %+v", f.Fix)
	}

	// The fix: v1beta1, and an aws on PATH that prints a token as `aws eks get-token` does.
	w.execKubeconfig(t, "client.authentication.k8s.io/v1beta1", kubeconfig)
	w.fakeAWSCLI(t, bin)
	rep = doctorJSON(t, 0, file)
	finding(t, rep, "who-am-i", doctor.OK)
	applySucceeds(t, file)
}

// Scenario 8: the cluster's endpoint is private and cannot be reached from here.
func TestE2EPrivateEndpointUnreachable(t *testing.T) {
	w := e2e(t)
	w.useSim(t)
	ns := w.namespace(t, "s8-private")
	file := writeKaji(t, "s8", eksCluster, release{"settings", ns, "settings"})
	closed := closedPort(t)
	w.updateCluster(t, func(c *awssim.ClusterConfig) {
		c.Endpoint = "https://" + closed
		c.EndpointPublicAccess, c.EndpointPrivateAccess = ptr(false), ptr(true)
	})

	applyFails(t, file, "connection refused")

	text := doctorRun(t, file)
	if text.code != 1 {
		t.Fatalf("doctor: %s", text)
	}
	golden(t, "private-endpoint", text.out)
	rep := doctorJSON(t, 1, file)
	wantStatuses(t, rep, map[string]doctor.Status{
		"role-trust": doctor.OK, "cluster": doctor.Fail, "authentication-mode": doctor.OK, "access-entries": doctor.OK,
		"aws-auth": doctor.OK, "who-am-i": doctor.Skipped, "rbac": doctor.Skipped,
	})
	f := finding(t, rep, "cluster", doctor.Fail)
	if !strings.Contains(f.Fix.Summary, "endpointPublicAccess is false") || !strings.Contains(f.Fix.Summary, "i/o timeout") {
		t.Errorf("cluster fix = %+v", f.Fix)
	}

	// The fix: run from where the private endpoint is reachable, which here means the
	// endpoint the API server really listens on.
	if err := w.sim.SetClusterEndpoint("prod", w.env.Config.Host, w.env.Config.CAData); err != nil {
		t.Fatal(err)
	}
	doctorJSON(t, 0, file)
	applySucceeds(t, file)
}
