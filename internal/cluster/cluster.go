// Package cluster connects kaji to a Kubernetes cluster: it loads the kubeconfig once and hands
// out per-namespace client getters that share one REST config, one discovery cache and one
// REST mapper, so that many releases cost one discovery.
package cluster

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Options select the cluster. Empty fields follow kubectl's rules (KUBECONFIG, current context).
type Options struct {
	Kubeconfig string
	Context    string
	// Network is how requests behave when the network or the API server fails.
	Network Network
}

// Conn is a connection to one cluster. It is safe for concurrent use.
type Conn struct {
	raw       clientcmdapi.Config
	context   string
	config    *rest.Config
	discovery discovery.CachedDiscoveryInterface
	mapper    meta.RESTMapper
	caps      capabilities
}

// Connect loads the kubeconfig and prepares clients. It makes no request to the cluster.
func Connect(opts Options) (*Conn, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if opts.Kubeconfig != "" {
		if _, err := os.Stat(opts.Kubeconfig); err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w (set cluster.kubeconfig in kaji.yaml or --kubeconfig)", opts.Kubeconfig, err)
		}
		rules.ExplicitPath = opts.Kubeconfig
	}
	loader := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: opts.Context})
	raw, err := loader.RawConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	name := opts.Context
	if name == "" {
		name = raw.CurrentContext
	}
	if name == "" {
		return nil, errors.New("no kubeconfig context selected: set cluster.kubeContext in kaji.yaml, pass --kube-context, or run `kubectl config use-context NAME`")
	}
	if _, ok := raw.Contexts[name]; !ok {
		return nil, fmt.Errorf("kubeconfig context %q not found (known: %v); pass --kube-context or fix cluster.kubeContext", name, contextNames(raw))
	}
	config, err := loader.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig context %q: %w", name, err)
	}
	return Dial(raw, name, config, opts.Network)
}

// FromConfig builds a Conn from an already loaded kubeconfig and REST config, with the
// default Network. It is how callers with their own way of authenticating (such as EKS)
// plug in.
func FromConfig(raw clientcmdapi.Config, context string, config *rest.Config) (*Conn, error) {
	return Dial(raw, context, config, Network{})
}

// Dial is FromConfig with the network behaviour n.
func Dial(raw clientcmdapi.Config, context string, config *rest.Config, n Network) (*Conn, error) {
	config = rest.CopyConfig(config)
	n.configure(config)
	// No client-side rate limit. client-go's token bucket (5 requests a second by default;
	// kaji had set 100, with a burst of 200) made a plan of 100 new releases wait 3 s for
	// tokens. kaji bounds its requests by how many it runs at once (plan's Requests, apply's
	// --concurrency), and the API server's own flow control (API Priority and Fairness)
	// queues or rejects them when it is busy, which client-go retries.
	if config.QPS == 0 && config.RateLimiter == nil {
		config.QPS = -1
	}
	dc, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	cached := memory.NewMemCacheClient(dc)
	return &Conn{
		raw:       raw,
		context:   context,
		config:    config,
		discovery: cached,
		mapper:    restmapper.NewDeferredDiscoveryRESTMapper(cached),
	}, nil
}

// Context is the kubeconfig context in use.
func (c *Conn) Context() string { return c.context }

// Host is the API server URL.
func (c *Conn) Host() string { return c.config.Host }

// RESTConfig returns a copy of the REST config.
func (c *Conn) RESTConfig() *rest.Config { return rest.CopyConfig(c.config) }

// Clientset returns a typed client.
func (c *Conn) Clientset() (kubernetes.Interface, error) {
	return kubernetes.NewForConfig(c.config)
}

// Getter returns a client getter whose default namespace is namespace, as Helm's actions need.
func (c *Conn) Getter(namespace string) genericclioptions.RESTClientGetter {
	return &getter{conn: c, namespace: namespace}
}

type getter struct {
	conn      *Conn
	namespace string
}

func (g *getter) ToRESTConfig() (*rest.Config, error) { return g.conn.RESTConfig(), nil }

func (g *getter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return g.conn.discovery, nil
}

func (g *getter) ToRESTMapper() (meta.RESTMapper, error) { return g.conn.mapper, nil }

func (g *getter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return clientcmd.NewNonInteractiveClientConfig(g.conn.raw, g.conn.context,
		&clientcmd.ConfigOverrides{Context: clientcmdapi.Context{Namespace: g.namespace}}, nil)
}

func contextNames(raw clientcmdapi.Config) []string {
	return slices.Sorted(maps.Keys(raw.Contexts))
}
