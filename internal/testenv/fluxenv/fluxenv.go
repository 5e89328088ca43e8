// Package fluxenv runs Flux's source-controller and helm-controller against the control plane
// of internal/testenv, for the tests that hand kaji's releases over to Flux. It is imported by
// tests only.
//
// The controllers and their CRDs are built from Go modules by `make flux` (hack/build-flux.sh,
// tools/flux) into .cache/flux/; Start fails the test when they are missing. Each Start makes
// a namespace of its own, where the test puts its Flux objects (kaji export flux -n) and which
// the controllers alone watch, and runs both controllers until the test ends:
//
//	f := fluxenv.Start(t, env, fluxenv.TrustCA(repo.CACertPEM()))
//	f.Apply(t, exportDir)            // kubectl apply -k, as docs/gitops.md says
//	f.WaitReady(t, "api", "db")      // every HelmRelease Ready at its generation
package fluxenv

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"k8s.io/client-go/dynamic"

	"kaji.dev/kaji/internal/testenv"
)

// Flux is source-controller and helm-controller running against a test control plane.
type Flux struct {
	// Namespace holds the test's Flux objects; the controllers watch it alone.
	Namespace string

	env   *testenv.Env
	dyn   dynamic.Interface
	procs []*process
}

// Option changes how Start runs the controllers.
type Option func(*options)

type options struct {
	caPEM []byte
}

// TrustCA makes source-controller trust the CA certificate caPEM (through SSL_CERT_FILE, as
// it would trust a private CA of its image), so that it reaches a test's https chart
// repository; it trusts no other.
func TrustCA(caPEM []byte) Option {
	return func(o *options) { o.caPEM = caPEM }
}

// Start installs Flux's CRDs on env, makes the test's Flux namespace and runs both controllers
// there until t ends. It skips t where env is nil (under -short).
func Start(t *testing.T, env *testenv.Env, opts ...Option) *Flux {
	t.Helper()
	env.Require(t)
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	dir, err := buildDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := installCRDs(t.Context(), env.Config, filepath.Join(dir, "crds")); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(env.Config)
	if err != nil {
		t.Fatalf("dynamic client: %v", err)
	}
	f := &Flux{Namespace: env.Namespace(t), env: env, dyn: dyn}
	work := t.TempDir()
	t.Cleanup(func() { f.stop(t) })

	common := []string{"KUBECONFIG=" + env.KubeconfigPath, "RUNTIME_NAMESPACE=" + f.Namespace}
	sourceEnv := common
	if o.caPEM != nil {
		ca := filepath.Join(work, "ca.pem")
		if err := os.WriteFile(ca, o.caPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		sourceEnv = append(sourceEnv, "SSL_CERT_FILE="+ca)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	storage := filepath.Join(work, "storage")
	if err := os.Mkdir(storage, 0o700); err != nil {
		t.Fatal(err)
	}
	// Flags of both: watch the test's namespace alone, no metrics or health ports to collide
	// with other test packages, readable logs, and dependencies checked again within seconds,
	// not Flux's 30s, so that releases with needs do not wait for nothing.
	flags := []string{"--watch-all-namespaces=false", "--metrics-addr=0", "--health-addr=0",
		"--log-encoding=console", "--requeue-dependency=1s"}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	f.run(t, dir, "source-controller", sourceEnv, append(flags,
		// The artifact server, from which helm-controller downloads the charts.
		"--storage-path="+storage, "--storage-addr="+addr, "--storage-adv-addr="+addr)...)
	f.run(t, dir, "helm-controller", common, append(flags, "--graceful-shutdown-timeout=10s")...)
	return f
}

// run starts one controller, or fails t.
func (f *Flux) run(t *testing.T, dir, name string, env []string, args ...string) {
	t.Helper()
	p, err := startProcess(name, filepath.Join(dir, name), filepath.Join(t.TempDir(), name+".log"), args, env)
	if err != nil {
		t.Fatal(err)
	}
	f.procs = append(f.procs, p)
}

// exited returns an error for the first controller that is no longer running.
func (f *Flux) exited() error {
	for _, p := range f.procs {
		if err := p.exited(); err != nil {
			return err
		}
	}
	return nil
}

// stop stops the controllers, in the reverse order of their start, and shows the end of their
// logs when t failed.
func (f *Flux) stop(t *testing.T) {
	for i := len(f.procs) - 1; i >= 0; i-- {
		p := f.procs[i]
		if err := p.stop(); err != nil {
			t.Error(err)
		} else if t.Failed() {
			t.Log(p.tail())
		}
	}
	f.procs = nil
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
