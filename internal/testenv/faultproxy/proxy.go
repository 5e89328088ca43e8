// Package faultproxy is a test harness: a reverse proxy in front of the API server of a
// testenv.Env that injects faults by rule (answers such as 429 or 503, reset connections,
// stalled answers, API server warnings, the whole network cut), for tests of how kaji
// behaves on a bad network. It is never part of kaji itself.
//
// The proxy terminates TLS with its own certificate and passes requests on with the Env's
// admin credentials; whatever credentials the client presents are recorded and dropped.
// Its kubeconfig carries a bearer token and a client key of its own, which a test can
// look for in what kaji prints and writes.
package faultproxy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"kaji.dev/kaji/internal/testenv"
)

// ContextName names the only context of the proxy's kubeconfig.
const ContextName = "faultproxy"

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// URL is the proxy's https URL.
	URL string
	// KubeconfigPath is a kubeconfig that points at the proxy (context ContextName), with
	// Token and a client certificate whose key is ClientKeyPEM.
	KubeconfigPath string
	// Token is the bearer token of the kubeconfig.
	Token string
	// ClientKeyPEM is the client key of the kubeconfig, PEM-encoded.
	ClientKeyPEM []byte

	srv      *httptest.Server
	upstream *url.URL
	proxy    *httputil.ReverseProxy
	closing  chan struct{}
	once     sync.Once

	mu         sync.Mutex
	rules      []*Injection
	cut        bool
	requests   int
	authorized map[string]bool
}

// Start starts a proxy in front of e's API server for t, and closes it when t ends.
func Start(t testing.TB, e *testenv.Env) *Proxy {
	t.Helper()
	e.Require(t)
	upstream, err := url.Parse(e.Config.Host)
	if err != nil {
		t.Fatal(err)
	}
	transport, err := rest.TransportFor(e.Config)
	if err != nil {
		t.Fatalf("faultproxy: transport to the API server: %v", err)
	}
	p := &Proxy{upstream: upstream, closing: make(chan struct{}), authorized: map[string]bool{}}
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(upstream)
			r.Out.Host = upstream.Host
			r.Out.Header.Del("Authorization")
		},
		Transport:      transport,
		FlushInterval:  -1, // watches stream
		ModifyResponse: p.warn,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	p.srv.StartTLS()
	p.URL = p.srv.URL
	t.Cleanup(p.Close)

	p.Token = "faultproxy-token-" + strings.ToLower(rand.Text())
	cert, key, err := clientCert()
	if err != nil {
		t.Fatal(err)
	}
	p.ClientKeyPEM = key
	p.KubeconfigPath = filepath.Join(t.TempDir(), "kubeconfig")
	if err := p.writeKubeconfig(cert); err != nil {
		t.Fatal(err)
	}
	return p
}

// CAData is the PEM certificate a client trusts the proxy with.
func (p *Proxy) CAData() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})
}

// Add puts a rule in force, after the ones already in force: a request gets the fault of the
// first rule that takes it.
func (p *Proxy) Add(r Rule) *Injection {
	in := &Injection{rule: r}
	p.mu.Lock()
	p.rules = append(p.rules, in)
	p.mu.Unlock()
	return in
}

// Clear removes every rule and restores the network after a Cut.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, in := range p.rules {
		in.mu.Lock()
		in.removed = true
		in.mu.Unlock()
	}
	p.rules, p.cut = nil, false
}

// Requests is how many requests reached the proxy so far.
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Authorizations are the distinct Authorization headers that clients sent, such as the
// bearer tokens kaji built.
func (p *Proxy) Authorizations() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for a := range p.authorized {
		out = append(out, a)
	}
	return out
}

// Close releases stalled requests and stops the proxy.
func (p *Proxy) Close() {
	p.once.Do(func() {
		close(p.closing)
		p.srv.CloseClientConnections()
		p.srv.Close()
	})
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests++
	if a := r.Header.Get("Authorization"); a != "" {
		p.authorized[a] = true
	}
	cut := p.cut
	var fault *Fault
	for _, in := range p.rules {
		if in.take(r) {
			fault = &in.rule.Fault
			break
		}
	}
	if fault != nil && fault.kind == kindCut {
		p.cut, cut = true, true
	}
	p.mu.Unlock()

	if cut {
		if fault != nil && fault.kind == kindCut {
			p.srv.CloseClientConnections()
		}
		reset(w)
		return
	}
	if fault == nil {
		p.proxy.ServeHTTP(w, r)
		return
	}
	switch fault.kind {
	case kindStatus:
		if fault.retryAfter != "" {
			w.Header().Set("Retry-After", fault.retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fault.status)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"faultproxy: injected %d","code":%d}`, fault.status, fault.status)
	case kindReset:
		reset(w)
	case kindStall:
		select {
		case <-r.Context().Done():
		case <-p.closing:
		}
	case kindWarn:
		r = r.WithContext(withWarning(r.Context(), fault.warning))
		p.proxy.ServeHTTP(w, r)
	}
}

type warningKey struct{}

func withWarning(ctx context.Context, text string) context.Context {
	return context.WithValue(ctx, warningKey{}, text)
}

// warn adds the warning a Warn fault put on the request to the API server's answer.
func (p *Proxy) warn(resp *http.Response) error {
	if text, ok := resp.Request.Context().Value(warningKey{}).(string); ok {
		resp.Header.Add("Warning", `299 - "`+strings.ReplaceAll(text, `"`, `\"`)+`"`)
	}
	return nil
}

// reset closes the request's connection with a TCP RST, without a word of HTTP or TLS.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil { // not HTTP/1.1, which is all the proxy serves
		http.Error(w, "faultproxy: cannot reset: "+err.Error(), http.StatusBadGateway)
		return
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

func (p *Proxy) writeKubeconfig(certPEM []byte) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[ContextName] = &clientcmdapi.Cluster{Server: p.URL, CertificateAuthorityData: p.CAData()}
	kc.AuthInfos[ContextName] = &clientcmdapi.AuthInfo{Token: p.Token, ClientCertificateData: certPEM, ClientKeyData: p.ClientKeyPEM}
	kc.Contexts[ContextName] = &clientcmdapi.Context{Cluster: ContextName, AuthInfo: ContextName, Namespace: "default"}
	kc.CurrentContext = ContextName
	if err := clientcmd.WriteToFile(*kc, p.KubeconfigPath); err != nil {
		return fmt.Errorf("faultproxy: write kubeconfig: %w", err)
	}
	return nil
}

// clientCert makes a self-signed client certificate and its key, in PEM.
func clientCert() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "faultproxy-client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}
