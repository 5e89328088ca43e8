package testenv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WithWorkloads also runs what makes workloads run: kube-controller-manager (the controllers
// of nodes, Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, namespaces, service
// accounts, resource quotas and garbage collection), kube-scheduler, and kwok, which fakes a node (NodeName) and the
// pods bound to it: they start and become Ready at once, without a kubelet or containers.
// So a Deployment becomes Available, and a Pod runs whatever its image.
//
// Start then returns once the node is Ready, the scheduler is ready and the controllers
// run. It needs the binaries that `make controlplane` builds beside the others.
func WithWorkloads() Option {
	return func(o *options) { o.workloads = true }
}

const (
	// NodeName names the fake node of an Env started WithWorkloads.
	NodeName = "kwok-node-0"
	// kwokNodeAnnotation marks the nodes kwok manages, as kwokctl marks its own.
	kwokNodeAnnotation = "kwok.x-k8s.io/node"
	kwokNodeValue      = "fake"
	// kwokStagesFile holds kwok's default stages, which hack/build-controlplane.sh writes.
	kwokStagesFile = "kwok-stages.yaml"
	// componentsKubeconfig is the components' kubeconfig, in certsDir since it holds
	// credentials and goes with them.
	componentsKubeconfig = "components.kubeconfig"
	// nodeLeaseSeconds is how long kwok's node lease lasts (kwokctl's default); kwok renews it.
	nodeLeaseSeconds = 40
)

// workloadBinaries are the programs WithWorkloads runs.
var workloadBinaries = []string{"kube-controller-manager", "kube-scheduler", "kwok"}

// controllers are the kube-controller-manager controllers WithWorkloads runs: what workloads
// and their cleanup need. Node lifecycle lifts the not-ready taint that the API server puts
// on a new node once kwok reports it Ready, as on a real cluster. Left out: the service
// account token controller (it needs a signing key, and pods here mount no tokens) and
// taint eviction (nothing here should evict pods).
var controllers = []string{
	"node-lifecycle-controller",
	"deployment-controller",
	"replicaset-controller",
	"statefulset-controller",
	"daemonset-controller",
	"job-controller",
	"garbage-collector-controller",
	"namespace-controller",
	"serviceaccount-controller",
	"resourcequota-controller",
}

// checkWorkloadAssets says which of the files WithWorkloads needs are missing, before
// anything starts.
func (a assets) checkWorkloadAssets() error {
	var errs []error
	for _, bin := range workloadBinaries {
		if err := checkExecutable(filepath.Join(a.dir, bin)); err != nil {
			errs = append(errs, err)
		}
	}
	if info, err := os.Stat(filepath.Join(a.dir, kwokStagesFile)); err != nil {
		errs = append(errs, err)
	} else if !info.Mode().IsRegular() {
		errs = append(errs, fmt.Errorf("%s is not a file", filepath.Join(a.dir, kwokStagesFile)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("workload components missing (run `make controlplane` at %s): %w", a.root, err)
	}
	return nil
}

// startWorkloads starts the controller manager, the scheduler and kwok against the running
// API server, registers the fake node and waits until all of them work.
func (e *Env) startWorkloads(ctx context.Context, a assets) error {
	kubeconfig := filepath.Join(e.dir, certsDir, componentsKubeconfig)
	if err := writeKubeconfig(kubeconfig, e.Config, "components"); err != nil {
		return err
	}
	schedulerPort, err := freePort()
	if err != nil {
		return err
	}
	kcm, err := e.startProcess("kube-controller-manager", filepath.Join(a.dir, "kube-controller-manager"), []string{
		"--kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--controllers=" + strings.Join(controllers, ","),
		"--secure-port=0", // no port to collide with other test packages; readiness is checked through the API
	}, nil)
	if err != nil {
		return err
	}
	scheduler, err := e.startProcess("kube-scheduler", filepath.Join(a.dir, "kube-scheduler"), []string{
		"--kubeconfig=" + kubeconfig,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(schedulerPort),
	}, nil)
	if err != nil {
		return err
	}
	kwok, err := e.startProcess("kwok", filepath.Join(a.dir, "kwok"), []string{
		"--kubeconfig=" + kubeconfig,
		"--config=" + filepath.Join(a.dir, kwokStagesFile),
		"--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=" + kwokNodeValue,
		"--node-lease-duration-seconds=" + strconv.Itoa(nodeLeaseSeconds),
	}, []string{
		// kwok reads $KWOK_WORKDIR/kwok.yaml (default ~/.kwok) besides --config: keep the
		// user's own configuration out.
		"KWOK_WORKDIR=" + e.dir,
	})
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := e.createNode(ctx); err != nil {
		return err
	}
	if err := e.waitFor(ctx, kcm, "its service account controller to make the default service account", e.hasDefaultServiceAccount); err != nil {
		return err
	}
	if err := e.waitFor(ctx, scheduler, "/readyz", schedulerReady(schedulerPort)); err != nil {
		return err
	}
	return e.waitFor(ctx, kwok, "node "+NodeName+" to become Ready and schedulable", e.nodeReady)
}

// createNode registers the fake node, as a kubelet registers its node; kwok takes it over
// by its annotation.
func (e *Env) createNode(ctx context.Context) error {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: NodeName,
		Labels: map[string]string{
			corev1.LabelHostname:   NodeName,
			corev1.LabelOSStable:   "linux",
			corev1.LabelArchStable: runtime.GOARCH,
		},
		Annotations: map[string]string{
			kwokNodeAnnotation:             kwokNodeValue,
			"node.alpha.kubernetes.io/ttl": "0",
		},
	}}
	if _, err := e.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create node %s: %w", NodeName, err)
	}
	return nil
}

func (e *Env) hasDefaultServiceAccount(ctx context.Context) (bool, error) {
	_, err := e.Client.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// nodeReady reports whether kwok has made the node Ready and the node lifecycle controller
// (kube-controller-manager) has lifted the not-ready taint, so that pods can be scheduled
// onto it. While not, its error says which is missing.
func (e *Env) nodeReady(ctx context.Context) (bool, error) {
	node, err := e.Client.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	ready := false
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			ready = c.Status == corev1.ConditionTrue
		}
	}
	switch {
	case !ready:
		return false, fmt.Errorf("node %s is not Ready (kwok)", NodeName)
	case len(node.Spec.Taints) > 0:
		return false, fmt.Errorf("node %s is Ready but still has taints %v (kube-controller-manager)", NodeName, node.Spec.Taints)
	}
	return true, nil
}

// schedulerReady asks the scheduler's /readyz, which passes once its informers have synced.
func schedulerReady(port int) func(context.Context) (bool, error) {
	client := &http.Client{
		Timeout: 5 * time.Second,
		// The scheduler serves with a self-signed certificate it makes in memory at start,
		// on 127.0.0.1 only: there is nothing to verify it against.
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
	}
	url := "https://127.0.0.1:" + strconv.Itoa(port) + "/readyz"
	return func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		return true, nil
	}
}

// waitFor polls done until it reports true. It fails when the context ends, with done's
// last error, or at once when p exits; either way with the end of p's log.
func (e *Env) waitFor(ctx context.Context, p *process, what string, done func(context.Context) (bool, error)) error {
	var last error
	for {
		ok, err := done(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if err := p.Exited(); err != nil {
			p.reported = true
			return fmt.Errorf("start %s: %w%s", p.Name, err, logTail(err, e.processLogs()))
		}
		select {
		case <-ctx.Done():
			err := fmt.Errorf("start %s: waited for %s: %w", p.Name, what, errors.Join(ctx.Err(), last))
			return fmt.Errorf("%w%s", err, logTail(err, e.processLogs()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort returns a TCP port on 127.0.0.1 that nothing listened on a moment ago, as envtest
// picks the API server's.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
