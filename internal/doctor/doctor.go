package doctor

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"time"

	"kaji.dev/kaji/internal/eks/awsauth"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/spec"
)

// Options change how the doctor reaches the world. The zero value is right for the CLI;
// tests inject clients, the network and the clock.
type Options struct {
	// AWS makes the AWS clients; nil fields get the AWS SDK's.
	AWS AWS
	// Resolver looks up the API server's host name; nil is net.DefaultResolver.
	Resolver Resolver
	// Dialer opens the TCP connection to the API server; nil is a net.Dialer.
	Dialer Dialer
	// DialTimeout bounds the DNS lookup and the TCP connection each; zero is 5 seconds.
	DialTimeout time.Duration
	// RequestTimeout bounds each request to the API server; zero is 15 seconds.
	RequestTimeout time.Duration
	// LookPath finds an exec plugin's command; nil is exec.LookPath.
	LookPath func(file string) (string, error)
	// Getenv reads the environment (KUBECONFIG, AWS_REGION, ...); nil is os.Getenv.
	Getenv func(key string) string
	// ConnectKube makes the Kubernetes clients; nil is ConnectKube.
	ConnectKube KubeConnector
	// Objects lists what each release's chart renders to; nil renders the charts offline
	// with internal/chart and internal/render.
	Objects ObjectLister
	// Now is the clock that signs EKS tokens; nil is time.Now.
	Now func() time.Time
	// LocalUser is the user name in the default session name kaji-USER; empty asks the OS.
	LocalUser string
}

// Target is what to check: a resolved kaji.yaml and the flags that change its cluster.
type Target struct {
	Resolved *spec.Resolved
	// Kubeconfig and Context are --kubeconfig and --kube-context; either makes kaji connect
	// through the kubeconfig even when kaji.yaml says cluster.eks.
	Kubeconfig string
	Context    string
	// AWSAuth is a copy of kube-system/aws-auth, for when the caller cannot read it (in EKS
	// only an identity already mapped can); AWSAuthSource names where it came from.
	AWSAuth       *awsauth.AWSAuth
	AWSAuthSource string
	// LockNamespace is where apply keeps the project lock (a Lease); empty is the default.
	LockNamespace string
}

// lockNamespace is where apply takes the project lock.
func (t Target) lockNamespace() string {
	if t.LockNamespace == "" {
		return lock.DefaultNamespace
	}
	return t.LockNamespace
}

// viaEKS says whether kaji connects through cluster.eks, as the CLI decides.
func (t Target) viaEKS() bool {
	return t.Resolved.Cluster.EKS != nil && t.Kubeconfig == "" && t.Context == ""
}

// Doctor runs the checks.
type Doctor struct {
	opts     Options
	registry *Registry
}

// New returns a Doctor with the default checks.
func New(opts Options) *Doctor {
	def := defaultAWS()
	a := &opts.AWS
	if a.Load == nil {
		a.Load = def.Load
	}
	if a.AssumeRole == nil {
		a.AssumeRole = def.AssumeRole
	}
	if a.STS == nil {
		a.STS = def.STS
	}
	if a.IAM == nil {
		a.IAM = def.IAM
	}
	if a.Cluster == nil {
		a.Cluster = def.Cluster
	}
	if a.AccessEntries == nil {
		a.AccessEntries = def.AccessEntries
	}
	if a.Parameters == nil {
		a.Parameters = def.Parameters
	}
	if a.Secrets == nil {
		a.Secrets = def.Secrets
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.Dialer == nil {
		opts.Dialer = &net.Dialer{}
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = 15 * time.Second
	}
	if opts.LookPath == nil {
		opts.LookPath = exec.LookPath
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.ConnectKube == nil {
		opts.ConnectKube = ConnectKube
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := &Doctor{opts: opts}
	r, err := NewRegistry(d.checks()...)
	if err != nil {
		panic(err) // the default checks have fixed, unique names
	}
	d.registry = r
	return d
}

// Registry returns the checks the doctor runs.
func (d *Doctor) Registry() *Registry { return d.registry }

// The checks, in the order of the chain.
func (d *Doctor) checks() []Check {
	o := d.opts
	return []Check{
		{Name: "kubeconfig", Title: "kubeconfig", Run: kubeconfigCheck{lookPath: o.LookPath, getenv: o.Getenv}.run},
		{Name: "aws-identity", Title: "AWS identity", Run: identityCheck{load: o.AWS.Load, sts: o.AWS.STS, iam: o.AWS.IAM}.run},
		{Name: "role-trust", Title: "role trust", Run: trustCheck{iam: o.AWS.IAM, sts: o.AWS.STS, assume: o.AWS.AssumeRole, now: o.Now, localUser: o.LocalUser}.run},
		{Name: "cluster", Title: "cluster endpoint", Run: clusterCheck{
			describe: o.AWS.Cluster, resolver: o.Resolver, dialer: o.Dialer, timeout: o.DialTimeout,
			requestTimeout: o.RequestTimeout, connect: o.ConnectKube, now: o.Now}.run},
		{Name: "authentication-mode", Title: "authentication mode", Run: modeCheck},
		{Name: "aws-auth", Title: "aws-auth ConfigMap", Run: awsAuthCheck{}.run},
		{Name: "access-entries", Title: "access entries", Run: accessCheck{}.run},
		{Name: "who-am-i", Title: "who the cluster thinks you are", Run: whoAmICheck},
		{Name: "rbac", Title: "RBAC for the releases", Run: rbacCheck},
		{Name: "secrets", Title: "IAM for secret references", Run: secretsCheck{
			load: o.AWS.Load, sts: o.AWS.STS, iam: o.AWS.IAM, parameters: o.AWS.Parameters, secrets: o.AWS.Secrets}.run},
	}
}

// Run checks every link for t and returns the findings.
func (d *Doctor) Run(ctx context.Context, t Target) Report {
	s := newState(t, d.objects(t.Resolved), d.opts.AWS.AccessEntries)
	r := Report{Project: t.Resolved.Project, Environment: t.Resolved.Environment, Target: describeTarget(t)}
	r.Findings = d.registry.Run(ctx, s)
	return r
}

func (d *Doctor) objects(res *spec.Resolved) ObjectLister {
	if d.opts.Objects != nil {
		return d.opts.Objects
	}
	return newRenderedObjects(res)
}

func describeTarget(t Target) string {
	if t.viaEKS() {
		e := t.Resolved.Cluster.EKS
		return fmt.Sprintf("EKS cluster %s in %s (cluster.eks)", e.Name, e.Region)
	}
	ctx := t.Context
	if ctx == "" {
		ctx = t.Resolved.Cluster.KubeContext
	}
	if ctx == "" {
		return "the current kubeconfig context"
	}
	return fmt.Sprintf("kubeconfig context %s", ctx)
}
