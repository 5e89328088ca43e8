package eks

import (
	"net/http"

	"k8s.io/client-go/rest"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// RESTConfig returns a REST config for the cluster whose requests carry tokens from tokens.
// It holds no credential itself: the token is added per request by a wrapped transport.
func RESTConfig(c Cluster, tokens *TokenSource) *rest.Config {
	return &rest.Config{
		Host:            c.Endpoint,
		TLSClientConfig: rest.TLSClientConfig{CAData: c.CAData},
		WrapTransport: func(next http.RoundTripper) http.RoundTripper {
			return &bearerTransport{tokens: tokens, next: next}
		},
	}
}

// Kubeconfig synthesizes a kubeconfig with one cluster, user and context, all named after
// the cluster's ARN as `aws eks update-kubeconfig` names them, for callers that want a
// clientcmd view (cluster.FromConfig). The user entry is empty: authentication happens in
// the REST config's transport, never through the kubeconfig.
func Kubeconfig(c Cluster) (clientcmdapi.Config, string) {
	name := c.ARN
	if name == "" {
		name = c.Name
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{Server: c.Endpoint, CertificateAuthorityData: c.CAData}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	kc.CurrentContext = name
	return *kc, name
}

// bearerTransport adds an EKS token to requests that carry no Authorization header.
type bearerTransport struct {
	tokens *TokenSource
	next   http.RoundTripper
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" {
		return t.next.RoundTrip(req)
	}
	tok, err := t.tokens.Token(req.Context())
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok.value)
	resp, err := t.next.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		// A token EKS no longer accepts (the clock jumped, the session was revoked) is
		// not reused; the next request signs a fresh one.
		t.tokens.Invalidate(tok)
	}
	return resp, err
}

// WrappedRoundTripper lets client-go see through the transport.
func (t *bearerTransport) WrappedRoundTripper() http.RoundTripper { return t.next }
