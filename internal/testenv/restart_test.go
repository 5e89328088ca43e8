package testenv_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"kaji.dev/kaji/internal/testenv"
)

// TestAPIServerRestartKeepsDataAndCredentials stops only kube-apiserver of its own control
// plane (the package's shared one stays up for the other tests) and starts it again.
func TestAPIServerRestartKeepsDataAndCredentials(t *testing.T) {
	env.Require(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	e, err := testenv.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Stop(); err != nil {
			t.Error(err)
		}
	})
	ns := e.Namespace(t)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kept", Namespace: ns}, Data: map[string]string{"a": "1"}}
	if _, err := e.Client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	host := e.Config.Host

	if err := e.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	short, stop := context.WithTimeout(ctx, 5*time.Second)
	_, err = e.Client.CoreV1().ConfigMaps(ns).Get(short, "kept", metav1.GetOptions{})
	stop()
	if err == nil {
		t.Fatal("the API server answered after StopAPIServer")
	}
	if err := e.StopAPIServer(); err != nil {
		t.Errorf("a second StopAPIServer: %v", err)
	}

	if err := e.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	if e.Config.Host != host {
		t.Errorf("host %s after the restart, was %s", e.Config.Host, host)
	}
	// The same clients, old and new, reach it: same address, same certificates.
	got, err := e.Client.CoreV1().ConfigMaps(ns).Get(ctx, "kept", metav1.GetOptions{})
	if err != nil || got.Data["a"] != "1" {
		t.Fatalf("configmap after the restart: %+v, %v; want it kept in etcd", got, err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", e.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.CoreV1().ConfigMaps(ns).Get(ctx, "kept", metav1.GetOptions{}); err != nil {
		t.Errorf("through the kubeconfig after the restart: %v", err)
	}
	// Writes work too, and survive a second round.
	got.Data["a"] = "2"
	if _, err := e.Client.CoreV1().ConfigMaps(ns).Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	if err := e.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := e.Client.CoreV1().ConfigMaps(ns).Get(ctx, "kept", metav1.GetOptions{}); err != nil || got.Data["a"] != "2" {
		t.Errorf("configmap after a second restart: %+v, %v", got, err)
	}
}
