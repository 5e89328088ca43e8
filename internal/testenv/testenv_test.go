package testenv_test

import (
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"kaji.dev/kaji/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

func TestConfigMapRoundTrip(t *testing.T) {
	ns := env.Namespace(t)
	ctx := t.Context()

	before, err := env.RequestCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: ns},
		Data:       map[string]string{"greeting": "hi"},
	}
	if _, err := env.Client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create configmap: %v", err)
	}
	got, err := env.Client.CoreV1().ConfigMaps(ns).Get(ctx, "hello", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get configmap: %v", err)
	}
	if got.Data["greeting"] != "hi" {
		t.Errorf("greeting = %q, want %q", got.Data["greeting"], "hi")
	}

	after, err := env.RequestCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	delta := after.Sub(before)
	if delta["POST configmaps"] < 1 || delta["GET configmaps"] < 1 {
		t.Errorf("request counts moved by %v, want POST and GET configmaps at least 1", delta)
	}
	if after.Total() <= before.Total() {
		t.Errorf("total requests %v then %v, want growth", before.Total(), after.Total())
	}
}

func TestKubeconfig(t *testing.T) {
	ns := env.Namespace(t)
	raw, err := clientcmd.LoadFromFile(env.KubeconfigPath)
	if err != nil {
		t.Fatalf("load kubeconfig: %v", err)
	}
	if raw.CurrentContext != env.ContextName || len(raw.Contexts) != 1 {
		t.Fatalf("contexts %v, current %q; want only %q", raw.Contexts, raw.CurrentContext, env.ContextName)
	}
	cfg, err := clientcmd.NewNonInteractiveClientConfig(*raw, env.ContextName, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
	if err != nil {
		t.Fatalf("client config: %v", err)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{}); err != nil {
		t.Errorf("get namespace through kubeconfig: %v", err)
	}
}

func TestNamespacesAreUnique(t *testing.T) {
	a, b := env.Namespace(t), env.Namespace(t)
	if a == b {
		t.Errorf("two namespaces named %s", a)
	}
}

func TestStartReportsAPIServerErrors(t *testing.T) {
	env.Require(t) // needs the binaries, like a control plane of its own
	e, err := testenv.Start(t.Context(), testenv.WithAPIServerArgs("--no-such-flag=1"))
	if err == nil {
		t.Cleanup(func() { _ = e.Stop() })
		t.Fatal("Start succeeded with an unknown API server flag")
	}
	if !strings.Contains(err.Error(), "unknown flag: --no-such-flag") {
		t.Errorf("error does not carry the API server's reason:\n%v", err)
	}
}

func TestStartRejectsMalformedArgs(t *testing.T) {
	env.Require(t)
	if _, err := testenv.Start(t.Context(), testenv.WithAPIServerArgs("event-ttl=1h")); err == nil {
		t.Fatal("Start accepted an API server argument without --")
	}
}

// The API server writes its identity Lease on its own, every 10 s, and that write fell inside
// the window of a test that counts requests. The control plane of the tests has none.
func TestAPIServerHasNoIdentityLease(t *testing.T) {
	env.Require(t)
	leases, err := env.Client.CoordinationV1().Leases("kube-system").List(t.Context(), metav1.ListOptions{
		LabelSelector: "apiserver.kubernetes.io/identity",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leases.Items {
		t.Errorf("API server identity lease %s, renewed by the API server during the tests", l.Name)
	}
}
