package cluster

import (
	"testing"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/flowcontrol"
)

// TestClientsAreNotThrottled checks that the clients of a Conn, kaji's and those Helm builds
// from its getter, have no client-side rate limit: a plan of 100 new releases waited seconds
// for client-go's tokens with 8 requests in flight.
func TestClientsAreNotThrottled(t *testing.T) {
	conn, err := FromConfig(clientcmdapi.Config{}, "", &rest.Config{Host: "https://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := conn.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	if l := cs.CoreV1().RESTClient().GetRateLimiter(); l != nil {
		t.Errorf("the typed client has a rate limiter (%T)", l)
	}
	helmCfg, err := conn.Getter("web").ToRESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]*rest.Config{"RESTConfig": conn.RESTConfig(), "Getter": helmCfg} {
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if l := cs.AppsV1().RESTClient().GetRateLimiter(); l != nil {
			t.Errorf("%s: a typed client has a rate limiter (%T)", name, l)
		}
		rc, err := rest.UnversionedRESTClientFor(dynamic.ConfigFor(cfg))
		if err != nil {
			t.Fatal(err)
		}
		if l := rc.GetRateLimiter(); l != nil {
			t.Errorf("%s: a dynamic client has a rate limiter (%T)", name, l)
		}
	}

	// A rate limit that the caller set stays.
	own := flowcontrol.NewTokenBucketRateLimiter(5, 10)
	conn, err = FromConfig(clientcmdapi.Config{}, "", &rest.Config{Host: "https://127.0.0.1:1", RateLimiter: own})
	if err != nil {
		t.Fatal(err)
	}
	if cs, err = conn.Clientset(); err != nil {
		t.Fatal(err)
	}
	if l := cs.CoreV1().RESTClient().GetRateLimiter(); l != own {
		t.Errorf("the caller's rate limiter was replaced by %v", l)
	}
}
