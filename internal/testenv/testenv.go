// Package testenv runs a real Kubernetes control plane (kube-apiserver and etcd, no
// controllers, no nodes) for kaji's tests and its dev cluster. WithWorkloads adds the
// controllers, the scheduler and a fake node, for tests whose Deployments must become ready.
//
// The binaries are built from Go modules by `make controlplane` into
// .cache/controlplane/<tools/controlplane/VERSIONS>/; Start fails when they are missing.
// Tests are skipped only under -short (see Run). Everything listens on 127.0.0.1.
//
// A test package shares one control plane through TestMain:
//
//	var env *testenv.Env
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }
//
//	func TestThing(t *testing.T) {
//		ns := env.Namespace(t) // skips the test under -short
//		_, err := env.Client.CoreV1().ConfigMaps(ns).Create(...)
//	}
package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

const (
	// DefaultContextName names the only context of the kubeconfig an Env writes.
	DefaultContextName = "envtest"
	// startTimeout bounds each component's start: a busy 2-core CI machine running two
	// test packages at once needs more than envtest's 20s default.
	startTimeout = 90 * time.Second
	stopTimeout  = 30 * time.Second
)

// Env is a running control plane.
type Env struct {
	// Config connects as a cluster admin (group system:masters) over TLS.
	Config *rest.Config
	// Client is a clientset built from Config.
	Client *kubernetes.Clientset
	// KubeconfigPath is a kubeconfig file with the same credentials, for clientcmd and the
	// kaji CLI's --kubeconfig. The component logs (kube-apiserver.log, etcd.log, and with
	// WithWorkloads kube-controller-manager.log, kube-scheduler.log, kwok.log) sit beside it.
	KubeconfigPath string
	// ContextName is the kubeconfig's only context, also its current one.
	ContextName string

	env     *envtest.Environment
	dir     string
	tempDir bool // dir was made by Start and is removed by Stop
	logs    []*os.File
	procs   []*process // components started beside envtest's (WithWorkloads)
}

// Option changes how Start runs the control plane.
type Option func(*options)

type options struct {
	apiServerArgs []string
	contextName   string
	workDir       string
	workloads     bool
}

// WithAPIServerArgs adds kube-apiserver flags, each written "--name=value" (or "--name" for
// true). A flag given here replaces envtest's default for it; a flag given more than once
// keeps every value.
func WithAPIServerArgs(args ...string) Option {
	return func(o *options) { o.apiServerArgs = append(o.apiServerArgs, args...) }
}

// WithContextName names the kubeconfig's context (default DefaultContextName).
func WithContextName(name string) Option {
	return func(o *options) { o.contextName = name }
}

// WithWorkDir puts the kubeconfig and component logs in dir, which is created if needed and
// left in place by Stop. By default they go to a temporary directory that Stop removes.
func WithWorkDir(dir string) Option {
	return func(o *options) { o.workDir = dir }
}

// Start starts etcd and kube-apiserver, waits until the API server is ready and writes the
// kubeconfig. The caller must Stop the returned Env.
func Start(ctx context.Context, opts ...Option) (*Env, error) {
	o := options{contextName: DefaultContextName}
	for _, opt := range opts {
		opt(&o)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a, err := findAssets()
	if err != nil {
		return nil, err
	}
	if o.workloads {
		if err := a.checkWorkloadAssets(); err != nil {
			return nil, err
		}
	}
	e := &Env{ContextName: o.contextName}
	if err := e.makeDir(o.workDir); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	if err := e.start(ctx, a, o); err != nil {
		return nil, errors.Join(err, e.Stop())
	}
	if o.workloads {
		if err := e.startWorkloads(ctx, a); err != nil {
			return nil, errors.Join(err, e.Stop())
		}
	}
	return e, nil
}

func (e *Env) start(ctx context.Context, a assets, o options) error {
	apiLog, err := e.openLog("kube-apiserver.log")
	if err != nil {
		return err
	}
	etcdLog, err := e.openLog("etcd.log")
	if err != nil {
		return err
	}
	useExisting := false
	e.env = &envtest.Environment{
		// Explicit paths, so that KUBEBUILDER_ASSETS or TEST_ASSET_* from the caller's shell
		// cannot swap in other binaries, and USE_EXISTING_CLUSTER cannot point tests at a real cluster.
		BinaryAssetsDirectory:    a.dir,
		UseExistingCluster:       &useExisting,
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  stopTimeout,
	}
	e.env.ControlPlane.Etcd = &envtest.Etcd{
		Path:    filepath.Join(a.dir, "etcd"),
		DataDir: filepath.Join(e.dir, etcdDir),
		Out:     etcdLog,
		Err:     etcdLog,
	}
	api := e.env.ControlPlane.GetAPIServer()
	api.Path = filepath.Join(a.dir, "kube-apiserver")
	api.CertDir = filepath.Join(e.dir, certsDir)
	api.Out, api.Err = apiLog, apiLog
	if err := configureArgs(api, append(quietArgs(), o.apiServerArgs...)); err != nil {
		return err
	}

	cfg, err := e.env.Start()
	if err != nil {
		logs := map[string]string{"kube-apiserver": apiLog.Name(), "etcd": etcdLog.Name()}
		return fmt.Errorf("start control plane: %w%s", err, logTail(err, logs))
	}
	e.Config = cfg
	e.Client, err = kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("build clientset: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	e.KubeconfigPath = filepath.Join(e.dir, "kubeconfig")
	return writeKubeconfig(e.KubeconfigPath, cfg, e.ContextName)
}

// quietArgs are the API server flags that keep its own periodic requests out of the tests. The
// API server renews its identity Lease (kube-system, apiserver-…) every 10 s, a write that
// lands in apiserver_request_total among whatever a test counts; nothing here needs that
// identity (it serves the storage version API and the proxy between API servers of
// different versions), so both are off.
func quietArgs() []string {
	return []string{"--feature-gates=APIServerIdentity=false,UnknownVersionInteroperabilityProxy=false"}
}

// configureArgs applies "--name=value" flags to the API server's arguments.
func configureArgs(api *envtest.APIServer, args []string) error {
	seen := map[string]bool{}
	for _, arg := range args {
		if !strings.HasPrefix(arg, "--") || len(arg) == 2 {
			return fmt.Errorf("api server argument %q: want --name=value", arg)
		}
		name, value, ok := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		if !ok {
			value = "true"
		}
		if seen[name] {
			api.Configure().Append(name, value)
		} else {
			api.Configure().Set(name, value)
		}
		seen[name] = true
	}
	return nil
}

// Stop stops the control plane and removes what Start created, except a WithWorkDir
// directory and the logs in it. Stop on a nil Env does nothing.
func (e *Env) Stop() error {
	if e == nil {
		return nil
	}
	errs := []error{e.stopProcesses()}
	if e.env != nil {
		if err := e.env.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("stop control plane: %w", err))
		}
		e.env = nil
	}
	for _, f := range e.logs {
		if err := f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close log: %w", err))
		}
	}
	e.logs = nil
	if e.tempDir {
		if err := os.RemoveAll(e.dir); err != nil {
			errs = append(errs, fmt.Errorf("remove control plane directory: %w", err))
		}
	} else if e.dir != "" {
		if err := e.removeState(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
