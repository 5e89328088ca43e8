package eks_test

import (
	"fmt"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/spec"
)

func TestConnectAssumesRoleAndDescribesCluster(t *testing.T) {
	sim := startSim(t)
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	if err := sim.SetClusterEndpoint("prod", "https://127.0.0.1:6443", ca); err != nil {
		t.Fatal(err)
	}
	useSim(t, sim, aliceKey)
	target := deployer()
	target.SessionName = ""
	conn, err := eks.Connect(ctxT(t), target, eks.Options{LocalUser: "Jane Doe"})
	if err != nil {
		t.Fatal(err)
	}
	if conn.SessionName != "kaji-Jane-Doe" {
		t.Errorf("session name = %q", conn.SessionName)
	}
	c := conn.Cluster
	if c.Endpoint != "https://127.0.0.1:6443" || string(c.CAData) != string(ca) || c.AuthenticationMode != "API_AND_CONFIG_MAP" ||
		!c.EndpointPublicAccess || c.EndpointPrivateAccess || c.ARN != "arn:aws:eks:eu-west-1:111122223333:cluster/prod" {
		t.Errorf("cluster = %+v", c)
	}
	if conn.REST.Host != c.Endpoint || string(conn.REST.CAData) != string(ca) || conn.REST.BearerToken != "" || conn.REST.WrapTransport == nil {
		t.Errorf("rest config = %+v", conn.REST)
	}
	kc := conn.Kubeconfig
	if kc.CurrentContext != conn.Context || kc.Clusters[conn.Context].Server != c.Endpoint || kc.AuthInfos[conn.Context].Token != "" {
		t.Errorf("kubeconfig = %+v", kc)
	}
	var got []string
	for _, call := range sim.Calls() {
		got = append(got, fmt.Sprintf("%s %s by %s: %d", call.Service, call.Action, call.Caller, call.Status))
	}
	want := []string{
		"sts AssumeRole by arn:aws:iam::111122223333:user/alice: 200",
		"eks DescribeCluster by arn:aws:sts::111122223333:assumed-role/kaji-deployer/kaji-Jane-Doe: 200",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestConnectErrors(t *testing.T) {
	sim := startSim(t)
	if err := sim.SetClusterEndpoint("prod", "https://127.0.0.1:6443", []byte("ca")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		key      string
		target   func(*spec.EKS)
		step     eks.Step
		kind     eks.Kind
		code     string
		contains string
	}{
		{name: "no credentials", key: "", step: eks.StepCredentials, kind: eks.KindNoCredentials, contains: "no AWS credentials found"},
		{name: "trust policy does not allow the caller", key: aliceKey, target: func(e *spec.EKS) { e.RoleARN = "arn:aws:iam::111122223333:role/locked" },
			step: eks.StepAssumeRole, kind: eks.KindAccessDenied, code: "AccessDenied", contains: "trust policy must allow your identity"},
		{name: "wrong external id", key: aliceKey, target: func(e *spec.EKS) { e.ExternalID = "guess" },
			step: eks.StepAssumeRole, kind: eks.KindAccessDenied, code: "AccessDenied"},
		{name: "role ARN without its path", key: aliceKey, target: func(e *spec.EKS) { e.RoleARN = "arn:aws:iam::111122223333:role/kaji-deployer" },
			step: eks.StepAssumeRole, kind: eks.KindAccessDenied, code: "AccessDenied", contains: "path included"},
		{name: "cluster not found", key: aliceKey, target: func(e *spec.EKS) { e.Name = "staging" },
			step: eks.StepDescribeCluster, kind: eks.KindClusterNotFound, code: "ResourceNotFoundException", contains: "check cluster.eks.name"},
		{name: "cluster in another region", key: aliceKey, target: func(e *spec.EKS) { e.Region = "us-east-1" },
			step: eks.StepDescribeCluster, kind: eks.KindClusterNotFound, code: "ResourceNotFoundException"},
		{name: "no eks:DescribeCluster", key: bobKey, target: func(e *spec.EKS) { e.RoleARN = "" },
			step: eks.StepDescribeCluster, kind: eks.KindAccessDenied, code: "AccessDeniedException", contains: "needs eks:DescribeCluster"},
		{name: "cluster without endpoint", key: aliceKey, target: func(e *spec.EKS) { e.Name = "legacy" },
			step: eks.StepDescribeCluster, kind: eks.KindClusterNotReady, contains: "CREATING"},
		{name: "no cluster name", key: aliceKey, target: func(e *spec.EKS) { e.Name = "" },
			step: eks.StepCredentials, kind: eks.KindInvalidConfig, contains: "cluster.eks.name must be set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			useSim(t, sim, c.key)
			target := deployer()
			if c.target != nil {
				c.target(&target)
			}
			_, err := eks.Connect(ctxT(t), target, eks.Options{})
			connectErr(t, err, c.step, c.kind)
			if c.code != "" && apiCode(err) != c.code {
				t.Errorf("AWS error code = %q, want %q", apiCode(err), c.code)
			}
			if !strings.Contains(err.Error(), c.contains) {
				t.Errorf("error %q does not contain %q", err, c.contains)
			}
		})
	}
}

func TestConnectWithInvalidSecret(t *testing.T) {
	sim := startSim(t)
	useSim(t, sim, aliceKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-alices-secret")
	_, err := eks.Connect(ctxT(t), deployer(), eks.Options{})
	connectErr(t, err, eks.StepAssumeRole, eks.KindInvalidCredentials)
	if apiCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("code = %q", apiCode(err))
	}
}

func TestDefaultSessionName(t *testing.T) {
	for in, want := range map[string]string{
		"jane":                   "kaji-jane",
		"Jane Doe":               "kaji-Jane-Doe",
		"jane@example.com":       "kaji-jane@example.com",
		"":                       "kaji",
		"!!!":                    "kaji",
		strings.Repeat("x", 100): "kaji-" + strings.Repeat("x", 59),
	} {
		if got := eks.DefaultSessionName(in); got != want {
			t.Errorf("DefaultSessionName(%q) = %q, want %q", in, got, want)
		}
	}
}
