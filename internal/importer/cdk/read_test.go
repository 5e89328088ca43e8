package cdk

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/importer"
	"kaji.dev/kaji/internal/spec"
)

// fixture is the cloud assembly that make cdk-fixtures synthesizes from testdata/app.
const fixture = "testdata/cdk.out"

func ptr[T any](v T) *T { return &v }

func mustRead(t *testing.T, opts Options) *importer.Found {
	t.Helper()
	found, err := Read(fixture, opts)
	if err != nil {
		t.Fatalf("Read(%+v): %v", opts, err)
	}
	return found
}

func equalJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
}

func byName(t *testing.T, found *importer.Found, name string) importer.Release {
	t.Helper()
	for _, r := range found.Releases {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no release %s among %d", name, len(found.Releases))
	return importer.Release{}
}

// TestReadReleases checks every release of the fixture and every field, with no options:
// Platform's pseudo parameters come from its environment, Tools' stay placeholders.
func TestReadReleases(t *testing.T) {
	found := mustRead(t, Options{})
	// In manifest.json's order: the stage's assembly comes first.
	want := []importer.Release{
		{Origin: "cdk.out/assembly-Staging/StagingApps4E62E6EA.template.json: ClusterchartPodinfoDD649BF0", Release: spec.Release{
			Name: "podinfo", Namespace: "apps", Chart: "oci://ghcr.io/stefanprodan/charts/podinfo", Version: "6.9.2",
			Values: map[string]any{"replicaCount": 1.0},
		}},
		{Origin: "cdk.out/Platform.template.json: ClusterchartIngressNginxA04FA2C9", Release: spec.Release{
			Name: "ingress-nginx", Namespace: "ingress-nginx", Chart: "ingress-nginx/ingress-nginx", Version: "4.15.1",
			Values: map[string]any{"controller": map[string]any{
				"replicaCount": 2.0,
				"service": map[string]any{"annotations": map[string]any{
					"service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"}},
			}},
			Wait: ptr(true), Timeout: "600s",
		}},
		{Origin: "cdk.out/Platform.template.json: Cache18F6EE16", Release: spec.Release{
			// No release in the app: CDK names it after the construct's unique ID.
			Name: "platformcache9df917de", Namespace: "cache",
			Chart: "oci://registry-1.docker.io/bitnamicharts/redis", Version: "23.1.1",
			Values:          map[string]any{"architecture": "standalone", "auth": map[string]any{"password": "redis-hunter2"}},
			CreateNamespace: ptr(false), RollbackOnFailure: ptr(true), CRDs: spec.CRDsSkip,
		}},
		{Origin: "cdk.out/Platform.template.json: Grafana43773C35", Release: spec.Release{
			Name: "grafana", Namespace: "monitoring", Chart: "helm-charts/grafana", Version: "10.1.4",
			Values: map[string]any{
				"adminPassword":  "grafana-hunter2",
				"env":            map[string]any{"GF_CLOUDWATCH_REGION": "eu-west-1", "SLACK_API_TOKEN": "xoxb-1111-2222-abcdef"},
				"serviceAccount": map[string]any{"annotations": map[string]any{"eks.amazonaws.com/role-arn": "<cdk-import: Fn::GetAtt GrafanaRole3A2DB257.Arn>"}},
			},
		}},
		{Origin: "cdk.out/Platform.template.json: Hello4A628BD4", Release: spec.Release{
			Name: "hello", Namespace: "default",
			Chart: "<cdk-import: ChartAssetURL s3://cdk-hnb659fds-assets-111111111111-eu-west-1/a7c6bdbf678a9f91a8893ef5f9d9caa0bad278bedbc351bf2d8646fcf14d30eb.zip>",
		}},
		{Origin: "cdk.out/PlatformAddonsDD295DE5.nested.template.json: LoadBalancerController88307884", Release: spec.Release{
			Name: "aws-load-balancer-controller", Namespace: "kube-system", Chart: "eks-charts/aws-load-balancer-controller", Version: "1.13.4",
			Values: map[string]any{
				"clusterName": "prod",
				"region":      "eu-west-1",
				// A parameter of the nested stack, followed to the parent's Fn::GetAtt.
				"serviceAccount": map[string]any{"annotations": map[string]any{"eks.amazonaws.com/role-arn": "<cdk-import: Fn::GetAtt LoadBalancerControllerRoleE7DE3101.Arn>"}},
			},
		}},
		{Origin: "cdk.out/Tools.template.json: ExternalDns122DB255", Release: spec.Release{
			Name: "external-dns", Namespace: "external-dns", Chart: "external-dns/external-dns", Version: "1.19.0",
			Values: map[string]any{
				"provider":      map[string]any{"name": "aws"},
				"env":           []any{map[string]any{"name": "AWS_DEFAULT_REGION", "value": "<cdk-import: Ref AWS::Region>"}},
				"domainFilters": []any{"<cdk-import: Fn::ImportValue shared-zone-name>"},
				"txtOwnerId":    "prod-<cdk-import: Ref AWS::AccountId>",
			},
		}},
		{Origin: "cdk.out/Tools.template.json: SealedSecrets3E1D5074", Release: spec.Release{
			Name: "sealed-secrets", Namespace: "kube-system", Chart: "sealed-secrets/sealed-secrets", Version: "2.17.3",
		}},
	}
	if found.Kind != importer.KindCDK {
		t.Errorf("kind %q, want %q", found.Kind, importer.KindCDK)
	}
	got := make([]importer.Release, len(found.Releases))
	for i, r := range found.Releases {
		got[i] = importer.Release{Release: r.Release, Origin: r.Origin}
	}
	if len(got) != len(want) {
		t.Fatalf("%d releases, want %d", len(got), len(want))
	}
	for i := range want {
		equalJSON(t, "release "+want[i].Name, got[i], want[i])
	}
	equalJSON(t, "repositories", found.Repositories, map[string]string{
		"ingress-nginx":  "https://kubernetes.github.io/ingress-nginx",
		"helm-charts":    "https://grafana.github.io/helm-charts",
		"eks-charts":     "https://aws.github.io/eks-charts",
		"external-dns":   "https://kubernetes-sigs.github.io/external-dns/",
		"sealed-secrets": "https://bitnami-labs.github.io/sealed-secrets",
	})
	equalJSON(t, "cluster", found.Cluster, &spec.Cluster{EKS: &spec.EKS{
		Name: "prod", Region: "eu-west-1", RoleARN: "arn:aws:iam::111111111111:role/prod-kubectl",
	}})
}

// note is what a test expects of a note: Where, Blocking, and parts of the message.
type note struct {
	where    string
	blocking bool
	says     []string
}

func checkNotes(t *testing.T, what string, got []importer.Note, want []note) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d notes, want %d: %+v", what, len(got), len(want), got)
		return
	}
	for i, w := range want {
		g := got[i]
		if g.Where != w.where || g.Blocking != w.blocking {
			t.Errorf("%s: note %d is %+v, want where %q blocking %v", what, i, g, w.where, w.blocking)
		}
		for _, s := range w.says {
			if !strings.Contains(g.Message, s) {
				t.Errorf("%s: note %d %q does not say %q", what, i, g.Message, s)
			}
		}
	}
}

// TestReadNotes checks the placeholders' notes, the asset chart's, the retained charts' and
// the note on a chart of another cluster.
func TestReadNotes(t *testing.T) {
	found := mustRead(t, Options{})
	for _, tc := range []struct {
		release string
		notes   []note
	}{
		{release: "ingress-nginx"},
		{release: "platformcache9df917de"},
		{release: "grafana", notes: []note{{
			where: "cdk.out/Platform.template.json: Grafana43773C35", blocking: true,
			says: []string{"values: <cdk-import: Fn::GetAtt GrafanaRole3A2DB257.Arn>", "Arn of resource GrafanaRole3A2DB257 (AWS::IAM::Role)", "platform-prod"},
		}}},
		{release: "hello", notes: []note{{
			where: "cdk.out/Platform.template.json: Hello4A628BD4", blocking: true,
			says: []string{
				"S3 asset s3://cdk-hnb659fds-assets-111111111111-eu-west-1/a7c6bdbf678a9f91a8893ef5f9d9caa0bad278bedbc351bf2d8646fcf14d30eb.zip",
				"asset HelloChart", "cdk.out/asset.a7c6bdbf678a9f91a8893ef5f9d9caa0bad278bedbc351bf2d8646fcf14d30eb",
				"set chart to its path", "publish the chart to a repository",
			},
		}}},
		{release: "aws-load-balancer-controller", notes: []note{{
			where: "cdk.out/PlatformAddonsDD295DE5.nested.template.json: LoadBalancerController88307884", blocking: true,
			says: []string{"values: <cdk-import: Fn::GetAtt LoadBalancerControllerRoleE7DE3101.Arn>", "stack platform-prod"},
		}}},
		{release: "external-dns", notes: []note{
			{where: "cdk.out/Tools.template.json: ExternalDns122DB255", blocking: true, says: []string{"<cdk-import: Ref AWS::Region>", "pass --region"}},
			{where: "cdk.out/Tools.template.json: ExternalDns122DB255", blocking: true, says: []string{"<cdk-import: Fn::ImportValue shared-zone-name>", "export shared-zone-name"}},
			{where: "cdk.out/Tools.template.json: ExternalDns122DB255", blocking: true, says: []string{"<cdk-import: Ref AWS::AccountId>", "pass --account"}},
			{where: "cdk.out/Tools.template.json: ExternalDns122DB255", says: []string{"already RETAIN"}},
		}},
		{release: "sealed-secrets", notes: []note{
			{where: "cdk.out/Tools.template.json: SealedSecrets3E1D5074", says: []string{"already RETAIN"}},
		}},
		{release: "podinfo"},
	} {
		checkNotes(t, tc.release, byName(t, found, tc.release).Notes, tc.notes)
	}
	// Staging's chart runs on another cluster; Tools' may run on prod once its account is known.
	checkNotes(t, "found", found.Notes, []note{{
		where: "cdk.out/assembly-Staging/StagingApps4E62E6EA.template.json: ClusterchartPodinfoDD649BF0", blocking: true,
		says: []string{"cluster staging (region us-east-1, role arn:aws:iam::111111111111:role/staging-kubectl)", "not on prod (region eu-west-1", "--stack"},
	}})
}

// TestReadPseudoParameters checks that --region and --account fill the pseudo parameters of
// an environment-agnostic stack, and not those of a stack synthesized for an environment.
func TestReadPseudoParameters(t *testing.T) {
	found := mustRead(t, Options{Region: "eu-central-1", Account: "222222222222"})
	dns := byName(t, found, "external-dns")
	equalJSON(t, "external-dns values", dns.Values, map[string]any{
		"provider":      map[string]any{"name": "aws"},
		"env":           []any{map[string]any{"name": "AWS_DEFAULT_REGION", "value": "eu-central-1"}},
		"domainFilters": []any{"<cdk-import: Fn::ImportValue shared-zone-name>"},
		"txtOwnerId":    "prod-222222222222",
	})
	checkNotes(t, "external-dns", dns.Notes, []note{
		{where: "cdk.out/Tools.template.json: ExternalDns122DB255", blocking: true, says: []string{"Fn::ImportValue shared-zone-name"}},
		{where: "cdk.out/Tools.template.json: ExternalDns122DB255", says: []string{"already RETAIN"}},
	})
	grafana := byName(t, found, "grafana")
	env := grafana.Values["env"].(map[string]any)
	if env["GF_CLOUDWATCH_REGION"] != "eu-west-1" {
		t.Errorf("grafana's region is %v, want eu-west-1 of Platform's environment", env["GF_CLOUDWATCH_REGION"])
	}
	// Tools' cluster role is now arn:aws:iam::222222222222:role/prod-kubectl: another cluster.
	// The notes on other clusters come in the releases' order.
	checkNotes(t, "found", found.Notes, []note{
		{says: []string{"stack Staging/Apps is synthesized for region us-east-1", "--region eu-central-1"}},
		{says: []string{"stack Staging/Apps is synthesized for account 111111111111", "--account 222222222222"}},
		{says: []string{"stack Platform is synthesized for region eu-west-1", "--region eu-central-1"}},
		{says: []string{"stack Platform is synthesized for account 111111111111", "--account 222222222222"}},
		{where: "cdk.out/assembly-Staging/StagingApps4E62E6EA.template.json: ClusterchartPodinfoDD649BF0", blocking: true, says: []string{"cluster staging"}},
		{where: "cdk.out/Tools.template.json: ExternalDns122DB255", blocking: true, says: []string{"role arn:aws:iam::222222222222:role/prod-kubectl"}},
		{where: "cdk.out/Tools.template.json: SealedSecrets3E1D5074", blocking: true, says: []string{"role arn:aws:iam::222222222222:role/prod-kubectl"}},
	})
}

// TestReadStack checks --stack by artifact ID, display name and stack name, and the cluster
// of each stack alone.
func TestReadStack(t *testing.T) {
	for _, tc := range []struct {
		stack    string
		opts     Options
		releases []string
		cluster  spec.EKS
		notes    []note
	}{
		{
			stack: "Platform", releases: []string{"ingress-nginx", "platformcache9df917de", "grafana", "hello", "aws-load-balancer-controller"},
			cluster: spec.EKS{Name: "prod", Region: "eu-west-1", RoleARN: "arn:aws:iam::111111111111:role/prod-kubectl"},
		},
		{
			stack: "platform-prod", releases: []string{"ingress-nginx", "platformcache9df917de", "grafana", "hello", "aws-load-balancer-controller"},
			cluster: spec.EKS{Name: "prod", Region: "eu-west-1", RoleARN: "arn:aws:iam::111111111111:role/prod-kubectl"},
		},
		{
			stack: "Tools", releases: []string{"external-dns", "sealed-secrets"},
			cluster: spec.EKS{Name: "prod", Region: "<cdk-import: Ref AWS::Region>", RoleARN: "arn:aws:iam::<cdk-import: Ref AWS::AccountId>:role/prod-kubectl"},
			notes: []note{
				{where: "cdk.out/Tools.template.json: ExternalDns122DB255", blocking: true, says: []string{"cluster.eks.region: <cdk-import: Ref AWS::Region>", "pass --region"}},
				{where: "cdk.out/Tools.template.json: ExternalDns122DB255", blocking: true, says: []string{"cluster.eks.roleArn: <cdk-import: Ref AWS::AccountId>", "pass --account"}},
			},
		},
		{
			stack: "Tools", opts: Options{Region: "eu-west-1", Account: "111111111111"}, releases: []string{"external-dns", "sealed-secrets"},
			cluster: spec.EKS{Name: "prod", Region: "eu-west-1", RoleARN: "arn:aws:iam::111111111111:role/prod-kubectl"},
		},
		{
			stack: "Staging/Apps", releases: []string{"podinfo"},
			cluster: spec.EKS{Name: "staging", Region: "us-east-1", RoleARN: "arn:aws:iam::111111111111:role/staging-kubectl"},
		},
		{
			stack: "StagingApps4E62E6EA", releases: []string{"podinfo"},
			cluster: spec.EKS{Name: "staging", Region: "us-east-1", RoleARN: "arn:aws:iam::111111111111:role/staging-kubectl"},
		},
	} {
		t.Run(tc.stack, func(t *testing.T) {
			tc.opts.Stack = tc.stack
			found := mustRead(t, tc.opts)
			var names []string
			for _, r := range found.Releases {
				names = append(names, r.Name)
			}
			equalJSON(t, "releases", names, tc.releases)
			equalJSON(t, "cluster", found.Cluster, &spec.Cluster{EKS: &tc.cluster})
			checkNotes(t, "found", found.Notes, tc.notes)
		})
	}
}

func TestReadUnknownStack(t *testing.T) {
	_, err := Read(fixture, Options{Stack: "Nope"})
	if err == nil {
		t.Fatal("no error for an unknown stack")
	}
	for _, s := range []string{`no stack "Nope"`, "Staging/Apps (Staging-Apps), Platform (platform-prod), Tools"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}
