package testenv

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// StopAPIServer stops kube-apiserver as a crash or an outage would take it away, and leaves
// etcd running with its data. Clients then get "connection refused" until StartAPIServer.
// Stop still stops everything afterwards, whether or not the API server was started again.
func (e *Env) StopAPIServer() error {
	api, err := e.apiServer()
	if err != nil {
		return err
	}
	if err := api.Stop(); err != nil {
		return fmt.Errorf("stop kube-apiserver: %w", err)
	}
	return nil
}

// StartAPIServer starts kube-apiserver again after StopAPIServer: on the same address and
// port, with the same serving certificate and client CA, over the same etcd. Config,
// Client and the kubeconfig stay valid. It returns once the API server serves requests.
func (e *Env) StartAPIServer(ctx context.Context) error {
	api, err := e.apiServer()
	if err != nil {
		return err
	}
	addr := api.SecureServing.HostPort()
	if err := api.Start(); err != nil {
		return fmt.Errorf("restart kube-apiserver on %s: %w%s", addr, err,
			logTail(err, map[string]string{"kube-apiserver": filepath.Join(e.dir, "kube-apiserver.log")}))
	}
	// /healthz answers before every API group is served; wait until a plain request works.
	var last error
	for {
		_, last = e.Client.CoreV1().Namespaces().Get(ctx, metav1.NamespaceDefault, metav1.GetOptions{})
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("restart kube-apiserver on %s: not serving: %w", addr, errors.Join(last, ctx.Err()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (e *Env) apiServer() (*envtest.APIServer, error) {
	if e == nil || e.env == nil || e.env.ControlPlane.APIServer == nil {
		return nil, errors.New("the control plane is not running")
	}
	return e.env.ControlPlane.APIServer, nil
}
