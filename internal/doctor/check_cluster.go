package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"kaji.dev/kaji/internal/eks"
)

// clusterCheck asks EKS for the cluster, then checks that its endpoint resolves and accepts
// TCP connections. For a cluster that is not EKS it checks the kubeconfig's server.
type clusterCheck struct {
	describe       func(aws.Config) eks.DescribeClusterAPI
	resolver       Resolver
	dialer         Dialer
	timeout        time.Duration
	requestTimeout time.Duration
	connect        KubeConnector
	now            func() time.Time
}

func (c clusterCheck) run(ctx context.Context, s *State) Finding {
	var evidence []string
	endpoint := ""
	if s.EKS != nil {
		f, done := c.describeCluster(ctx, s)
		if done {
			return f
		}
		evidence = f.Evidence
		endpoint = s.Cluster.Endpoint
	}
	if !s.Target.viaEKS() && s.Server != "" {
		// kaji talks to the server the kubeconfig names, whatever EKS says.
		endpoint = s.Server
	}
	if endpoint == "" {
		return skipped("no API server address (see kubeconfig)")
	}
	reach, err := c.reach(ctx, endpoint)
	evidence = append(evidence, reach...)
	if err != nil {
		return Finding{Status: Fail, Summary: fmt.Sprintf("cannot reach %s: %v", endpoint, err), Evidence: evidence, Fix: reachFix(s.Cluster, err)}
	}
	s.Reachable = true
	if s.REST != nil && s.RESTProblem == "" {
		s.REST.Timeout = c.requestTimeout
		k, err := c.connect(s.REST)
		if err != nil {
			s.KubeProblem = "no Kubernetes client: " + err.Error()
		} else {
			s.Kube = k
		}
	} else if s.RESTProblem != "" {
		s.KubeProblem = s.RESTProblem
	}
	f := ok(endpoint+" accepts connections", evidence...)
	if s.Cluster != nil && !s.Target.viaEKS() && s.Server != "" && strings.TrimSuffix(s.Server, "/") != strings.TrimSuffix(s.Cluster.Endpoint, "/") {
		f.Status = Warn
		f.Summary = fmt.Sprintf("the kubeconfig's server %s is not the cluster's endpoint %s", s.Server, s.Cluster.Endpoint)
		f.Fix = &Fix{Summary: "refresh the kubeconfig", Commands: []string{fmt.Sprintf("aws eks update-kubeconfig --name %s --region %s", s.EKS.Name, s.EKS.Region)}}
	}
	return f
}

// describeCluster asks EKS for the cluster. done is true when f is the final finding.
func (c clusterCheck) describeCluster(ctx context.Context, s *State) (f Finding, done bool) {
	sess, note := s.Acting, ""
	if sess == nil {
		sess, note = s.Base, "asked with your own credentials: "+s.ActingProblem
	}
	if sess == nil {
		return skipped("needs AWS credentials (see aws-identity)"), true
	}
	cl, err := eks.DescribeCluster(ctx, c.describe(sess.Config), s.EKS.Name, s.EKS.Region)
	if err != nil {
		var ee *eks.Error
		f := Finding{Status: Fail, Summary: errorText(err)}
		if note != "" {
			f.Evidence = append(f.Evidence, note)
		}
		if errors.As(err, &ee) {
			switch ee.Kind {
			case eks.KindClusterNotFound:
				f.Fix = &Fix{Summary: fmt.Sprintf("check cluster.eks.name and cluster.eks.region (EKS clusters of account %s in %s are listed below)", sess.Account, s.EKS.Region),
					Commands: []string{"aws eks list-clusters --region " + s.EKS.Region}}
			case eks.KindAccessDenied:
				f.Fix = describePolicyFix(sess, s.EKS.Region, s.EKS.Name)
			case eks.KindClusterNotReady:
				s.Cluster = &cl
				f.Fix = &Fix{Summary: "wait until the cluster is ACTIVE", Commands: []string{fmt.Sprintf("aws eks wait cluster-active --name %s --region %s", s.EKS.Name, s.EKS.Region)}}
			default:
				if ee.Fix != "" {
					f.Fix = &Fix{Summary: ee.Fix}
				}
			}
		}
		return f, true
	}
	s.Cluster = &cl
	evidence := []string{fmt.Sprintf("%s: Kubernetes %s, %s, endpoint %s", cl.ARN, cl.Version, cl.Status, cl.Endpoint)}
	if note != "" {
		evidence = append(evidence, note)
	}
	evidence = append(evidence, endpointAccess(cl))
	if s.Target.viaEKS() {
		if s.Acting != nil {
			s.REST = eks.RESTConfig(cl, eks.NewTokenSource(s.Acting.Config, s.EKS.Name, c.now))
		} else {
			s.RESTProblem = s.ActingProblem
		}
	}
	return Finding{Evidence: evidence}, false
}

func endpointAccess(cl eks.Cluster) string {
	public := "public endpoint off"
	if cl.EndpointPublicAccess {
		from := strings.Join(cl.PublicAccessCIDRs, ", ")
		if len(cl.PublicAccessCIDRs) == 0 || slices.Equal(cl.PublicAccessCIDRs, []string{"0.0.0.0/0"}) {
			from = "anywhere (0.0.0.0/0)"
		}
		public = "public endpoint on, open to " + from
	}
	private := "private endpoint off"
	if cl.EndpointPrivateAccess {
		private = "private endpoint on (reachable from the VPC)"
	}
	return public + "; " + private
}

// reach resolves the endpoint's host and opens a TCP connection to it, within the timeout
// each. It returns what it saw.
func (c clusterCheck) reach(ctx context.Context, endpoint string) ([]string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%q is not a URL", endpoint)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	var evidence []string
	addrs := []string{host}
	if net.ParseIP(host) != nil {
		evidence = append(evidence, fmt.Sprintf("%s is an IP address, no DNS lookup: %s", host, describeAddrs(addrs)))
	} else {
		lctx, cancel := context.WithTimeout(ctx, c.timeout)
		addrs, err = c.resolver.LookupHost(lctx, host)
		cancel()
		if err != nil {
			return evidence, fmt.Errorf("DNS: %w", err)
		}
		evidence = append(evidence, fmt.Sprintf("%s resolves to %s", host, describeAddrs(addrs)))
	}
	var last error
	for _, a := range addrs {
		dctx, cancel := context.WithTimeout(ctx, c.timeout)
		conn, err := c.dialer.DialContext(dctx, "tcp", net.JoinHostPort(a, port))
		cancel()
		if err == nil {
			evidence = append(evidence, fmt.Sprintf("TCP %s accepted the connection", net.JoinHostPort(a, port)))
			return evidence, conn.Close()
		}
		last = err
	}
	return evidence, fmt.Errorf("TCP: %w", last)
}

func describeAddrs(addrs []string) string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a
		ip := net.ParseIP(a)
		switch {
		case ip == nil:
		case ip.IsLoopback():
			out[i] += " (loopback)"
		case ip.IsPrivate():
			out[i] += " (private: a VPC address)"
		}
	}
	return strings.Join(out, ", ")
}

// reachFix explains why the endpoint cannot be reached and what to do.
func reachFix(cl *eks.Cluster, err error) *Fix {
	timeout := isTimeout(err)
	if cl == nil {
		return &Fix{Summary: "check the server address in the kubeconfig, and any VPN, proxy (HTTPS_PROXY) or firewall between you and it"}
	}
	update := fmt.Sprintf("aws eks update-cluster-config --name %s --region %s --resources-vpc-config ", cl.Name, cl.Region)
	switch {
	case !cl.EndpointPublicAccess:
		why := "the endpoint is private (endpointPublicAccess is false): public DNS answers with the VPC's private addresses, " +
			"which only the VPC and networks connected to it can route to; from anywhere else the connection hangs and ends in an i/o timeout"
		if !timeout {
			why += " (here it was refused or unroutable)"
		}
		return &Fix{
			Summary: why + ". Run kaji from inside the VPC or a network connected to it (VPN, Direct Connect, a bastion or SSM port forwarding, a CI runner in the VPC), " +
				"or turn on the public endpoint for your address only",
			Commands: []string{
				"curl -s https://checkip.amazonaws.com   # your public IP",
				update + "endpointPublicAccess=true,publicAccessCidrs=YOUR_IP/32,endpointPrivateAccess=true",
			},
		}
	case len(cl.PublicAccessCIDRs) > 0 && !slices.Contains(cl.PublicAccessCIDRs, "0.0.0.0/0"):
		return &Fix{
			Summary: fmt.Sprintf("the public endpoint admits only %s: your public IP must be in that list (or reach the endpoint through the VPC)", strings.Join(cl.PublicAccessCIDRs, ", ")),
			Commands: []string{
				"curl -s https://checkip.amazonaws.com   # your public IP",
				update + "publicAccessCidrs=" + strings.Join(cl.PublicAccessCIDRs, ",") + ",YOUR_IP/32",
			},
		}
	}
	return &Fix{Summary: "the endpoint is public and open, so something between you and it blocks the connection: a VPN, a proxy (HTTPS_PROXY) or a firewall"}
}

func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "i/o timeout")
}

// describePolicyFix is the identity policy that allows eks:DescribeCluster.
func describePolicyFix(sess *Session, region, name string) *Fix {
	arn := fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", region, sess.Account, name)
	return iamPolicyFix(sess, "kaji-describe-"+name, "describe-cluster.json", sess.IAMARN+" needs eks:DescribeCluster on the cluster",
		[]string{"eks:DescribeCluster"}, []string{arn})
}
