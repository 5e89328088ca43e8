package doctor

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"k8s.io/client-go/rest"

	"kaji.dev/kaji/internal/eks"
	"kaji.dev/kaji/internal/spec"
)

func TestClusterCheck(t *testing.T) {
	const host = "0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com"
	endpoint := "https://" + host
	cases := []struct {
		name    string
		eks     fakeEKS
		net     fakeNet
		status  Status
		summary string
		// fix is in the fix's summary, command in one of its commands.
		fix, command string
		reachable    bool
	}{
		{name: "public and reachable", eks: fakeEKS{cluster: activeCluster(ModeAPI, endpoint, true, "0.0.0.0/0")},
			net:    fakeNet{hosts: map[string][]string{host: {"203.0.113.10"}}, open: map[string]bool{"203.0.113.10:443": true}},
			status: OK, summary: endpoint + " accepts connections", reachable: true},
		{name: "private endpoint from outside the VPC", eks: fakeEKS{cluster: activeCluster(ModeAPI, endpoint, false)},
			net:    fakeNet{hosts: map[string][]string{host: {"10.0.1.23", "10.0.2.45"}}, hang: true},
			status: Fail, summary: "i/o timeout",
			fix: "public DNS answers with the VPC's private addresses", command: "endpointPublicAccess=true,publicAccessCidrs=YOUR_IP/32"},
		{name: "public endpoint closed to this address", eks: fakeEKS{cluster: activeCluster(ModeAPI, endpoint, true, "198.51.100.0/24")},
			net:    fakeNet{hosts: map[string][]string{host: {"203.0.113.10"}}, hang: true},
			status: Fail, fix: "admits only 198.51.100.0/24", command: "publicAccessCidrs=198.51.100.0/24,YOUR_IP/32"},
		{name: "DNS fails", eks: fakeEKS{cluster: activeCluster(ModeAPI, endpoint, true)}, status: Fail, summary: "DNS:"},
		{name: "no such cluster", eks: fakeEKS{describeErr: apiErr("ResourceNotFoundException", "No cluster found for name: prod.")},
			status: Fail, summary: "ResourceNotFoundException", command: "aws eks list-clusters --region eu-west-1"},
		{name: "no permission to describe", eks: fakeEKS{describeErr: apiErr("AccessDeniedException", "not authorized")},
			status: Fail, fix: "needs eks:DescribeCluster", command: "aws iam put-user-policy --user-name alice --policy-name kaji-describe-prod"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			connected := false
			check := clusterCheck{
				describe: func(aws.Config) eks.DescribeClusterAPI { return &c.eks },
				resolver: c.net, dialer: c.net, timeout: 50 * time.Millisecond,
				connect: func(*rest.Config) (*Kube, error) { connected = true; return (&fakeKube{}).kube(), nil },
			}
			s := newState(Target{Resolved: resolved(deployerEKS(), "apps")}, nil, nil)
			s.EKS = deployerEKS()
			s.Base = session(t, aliceARN)
			s.Acting = s.Base
			f := check.run(t.Context(), s)
			if f.Status != c.status || !strings.Contains(f.Summary, c.summary) {
				t.Fatalf("%s: %s, want %s: %s\n%q", f.Status, f.Summary, c.status, c.summary, f.Evidence)
			}
			if s.Reachable != c.reachable || connected != c.reachable || (s.Kube != nil) != c.reachable {
				t.Errorf("reachable %v, connected %v, kube %v; want %v", s.Reachable, connected, s.Kube != nil, c.reachable)
			}
			if c.status == OK {
				if s.REST == nil || s.REST.Host != endpoint {
					t.Errorf("REST = %+v", s.REST)
				}
				return
			}
			if c.fix != "" || c.command != "" {
				if f.Fix == nil {
					t.Fatal("no fix")
				}
				if !strings.Contains(f.Fix.Summary, c.fix) || !strings.Contains(strings.Join(f.Fix.Commands, "\n"), c.command) {
					t.Errorf("fix %q %q, want %q and %q", f.Fix.Summary, f.Fix.Commands, c.fix, c.command)
				}
			}
		})
	}
}

func TestClusterCheckWithoutRole(t *testing.T) {
	// The role could not be assumed: the cluster is still described with the caller's own
	// credentials, but kaji gets no client to talk to it as the role.
	fe := fakeEKS{cluster: activeCluster(ModeAPI, "https://127.0.0.1:6443", true)}
	check := clusterCheck{describe: func(aws.Config) eks.DescribeClusterAPI { return &fe },
		resolver: fakeNet{}, dialer: fakeNet{open: map[string]bool{"127.0.0.1:6443": true}}, timeout: time.Second,
		connect: func(*rest.Config) (*Kube, error) { t.Error("connected without the role"); return nil, nil }}
	s := newState(Target{Resolved: resolved(deployerEKS(), "apps")}, nil, nil)
	s.EKS, s.Base, s.ActingProblem = deployerEKS(), session(t, aliceARN), "the role could not be assumed"
	f := check.run(t.Context(), s)
	if f.Status != OK || !strings.Contains(strings.Join(f.Evidence, "\n"), "asked with your own credentials") || s.Kube != nil || s.KubeProblem == "" {
		t.Errorf("%+v, kube %v %q", f, s.Kube, s.KubeProblem)
	}
}

func TestModeCheck(t *testing.T) {
	for mode, want := range map[string]Status{ModeAPI: OK, ModeAPIAndConfigMap: OK, ModeConfigMap: Warn, "": Unknown, "NEW": Unknown} {
		s := newState(Target{Resolved: resolved(deployerEKS())}, nil, nil)
		s.EKS, s.Cluster = deployerEKS(), &eks.Cluster{Name: "prod", Region: "eu-west-1", AuthenticationMode: mode}
		if f := modeCheck(context.Background(), s); f.Status != want {
			t.Errorf("%q: %s, want %s", mode, f.Status, want)
		}
	}
	s := newState(Target{Resolved: resolved(deployerEKS())}, nil, nil)
	s.EKS = deployerEKS()
	if f := modeCheck(context.Background(), s); f.Status != Skipped {
		t.Errorf("no cluster: %s", f.Status)
	}
}

func TestClusterCheckStaleKubeconfig(t *testing.T) {
	// kaji talks to the server the kubeconfig names; EKS reports another endpoint.
	fe := fakeEKS{cluster: activeCluster(ModeAPI, "https://new.gr7.eu-west-1.eks.amazonaws.com", true)}
	check := clusterCheck{describe: func(aws.Config) eks.DescribeClusterAPI { return &fe },
		resolver: fakeNet{hosts: map[string][]string{"old.gr7.eu-west-1.eks.amazonaws.com": {"203.0.113.9"}}},
		dialer:   fakeNet{open: map[string]bool{"203.0.113.9:443": true}}, timeout: time.Second,
		connect: func(*rest.Config) (*Kube, error) { return (&fakeKube{}).kube(), nil }}
	s := newState(Target{Resolved: resolved(nil, "apps")}, nil, nil)
	s.EKS = &spec.EKS{Name: "prod", Region: "eu-west-1"}
	s.Base = session(t, aliceARN)
	s.Acting = s.Base
	s.Server = "https://old.gr7.eu-west-1.eks.amazonaws.com"
	s.REST = &rest.Config{Host: s.Server}
	f := check.run(t.Context(), s)
	if f.Status != Warn || !strings.Contains(f.Summary, "is not the cluster's endpoint") || f.Fix == nil || !s.Reachable || s.Kube == nil {
		t.Errorf("%+v (reachable %v)", f, s.Reachable)
	}
}
