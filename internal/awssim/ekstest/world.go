// Package ekstest runs the EKS test world for end-to-end tests: the AWS simulator, its token
// webhook, and a real kube-apiserver that authenticates bearer tokens with that webhook, as
// EKS's aws-iam-authenticator does. Client certificates (the test's admin client) keep working
// beside it.
package ekstest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/testenv"
)

// World is one simulator, token webhook and kube-apiserver.
type World struct {
	Sim  *awssim.Server
	Hook *awssim.Webhook
	Env  *testenv.Env
	dir  string
}

// Start starts a world from the fixture file, whose cluster is served by the API server.
func Start(ctx context.Context, fixture, cluster string) (w *World, err error) {
	fx, err := awssim.LoadFixture(fixture)
	if err != nil {
		return nil, err
	}
	w = &World{}
	defer func() {
		if err != nil {
			err = errors.Join(err, w.Close())
		}
	}()
	if w.Sim, err = awssim.Start(fx); err != nil {
		return w, err
	}
	w.Hook = w.Sim.StartWebhook()
	if w.dir, err = os.MkdirTemp("", "kaji-eks-world-"); err != nil {
		return w, err
	}
	config := filepath.Join(w.dir, "token-webhook.kubeconfig")
	if err := w.Hook.WriteConfig(config, cluster); err != nil {
		return w, err
	}
	if w.Env, err = testenv.Start(ctx, testenv.WithAPIServerArgs(awssim.APIServerArgs(config)...)); err != nil {
		return w, err
	}
	w.Hook.UseConfigMaps(w.Env.Client.CoreV1().ConfigMaps("kube-system"))
	if err := w.Sim.SetClusterEndpoint(cluster, w.Env.Config.Host, w.Env.Config.CAData); err != nil {
		return w, err
	}
	if err := w.Sim.BindAccessPolicies(ctx, w.Env.Client, cluster); err != nil {
		return w, err
	}
	return w, nil
}

// Close stops everything Start started.
func (w *World) Close() error {
	var errs []error
	if w.Env != nil {
		errs = append(errs, w.Env.Stop())
	}
	if w.Hook != nil {
		w.Hook.Close()
	}
	if w.Sim != nil {
		w.Sim.Close()
	}
	if w.dir != "" {
		errs = append(errs, os.RemoveAll(w.dir))
	}
	return errors.Join(errs...)
}

// Shared is a world started once per test binary, on first use.
type Shared struct {
	Fixture, Cluster string

	once sync.Once
	w    *World
	err  error
}

// Get returns the shared world, starting it on first use; it skips t under -short.
func (s *Shared) Get(t *testing.T) *World {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: needs a kube-apiserver")
	}
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		s.w, s.err = Start(ctx, s.Fixture, s.Cluster)
	})
	if s.err != nil {
		t.Fatal(s.err)
	}
	return s.w
}

// Close stops the shared world if it was started; call it from TestMain after m.Run.
func (s *Shared) Close() error {
	if s.w == nil {
		return nil
	}
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("stop the eks test world: %w", err)
	}
	return nil
}
