// Package ecrtest is a test harness, imported by tests only: an in-process OCI registry that
// answers, over TLS, for Amazon ECR registry hosts (behind the AWS simulator's ECR registry
// front, which takes the tokens of its GetAuthorizationToken) and for Amazon ECR Public
// (anonymous bearer tokens, as public.ecr.aws gives), with two ways to reach it under those
// names: an HTTP client that dials them to it, and an HTTPS proxy for kaji as a process.
package ecrtest

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
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // registry storage for tests
	"github.com/sirupsen/logrus"

	"kaji.dev/kaji/internal/awssim"
)

// PublicHost is Amazon ECR Public's host, which the registry also answers for.
const PublicHost = "public.ecr.aws"

// Registry is a running registry.
type Registry struct {
	// Hosts are the names it answers for: the private ECR hosts given to Start, then PublicHost.
	Hosts []string
	// CACertPEM is the CA its certificate is signed by.
	CACertPEM []byte

	ca      *x509.CertPool
	front   *httptest.Server // TLS, the names of Hosts
	backend *httptest.Server // plain HTTP, no authentication: where charts are pushed
	proxy   *httptest.Server // CONNECT to Hosts:443, for processes

	mu       sync.Mutex
	requests map[string]int // by host
	tunnels  map[string]int // by CONNECT target
	conns    []net.Conn
}

// Start starts a registry answering for the private ECR hosts given (such as
// 111122223333.dkr.ecr.eu-west-1.amazonaws.com), whose requests sim's ECRRegistry front
// checks, and for PublicHost, which anyone may pull from.
func Start(t testing.TB, sim *awssim.Server, hosts ...string) *Registry {
	t.Helper()
	// The registry logs every request through logrus's standard logger.
	logrus.SetOutput(io.Discard)
	config := &configuration.Configuration{Storage: configuration.Storage{"inmemory": configuration.Parameters{}}}
	config.HTTP.Secret = "kaji-test"
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app := handlers.NewApp(ctx, config)

	r := &Registry{Hosts: append(slices.Clone(hosts), PublicHost), requests: map[string]int{}, tunnels: map[string]int{}}
	cert := r.makeCertificate(t)
	r.backend = httptest.NewServer(app)
	t.Cleanup(r.backend.Close)

	private, public := sim.ECRRegistry(app), publicFront(app)
	r.front = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host, _, err := net.SplitHostPort(req.Host)
		if err != nil {
			host = req.Host
		}
		r.mu.Lock()
		r.requests[host]++
		r.mu.Unlock()
		if host == PublicHost {
			public.ServeHTTP(w, req)
			return
		}
		private.ServeHTTP(w, req)
	}))
	r.front.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	r.front.StartTLS()
	t.Cleanup(r.front.Close)

	r.proxy = httptest.NewServer(http.HandlerFunc(r.serveConnect))
	t.Cleanup(func() {
		r.proxy.Close()
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, c := range r.conns {
			_ = c.Close()
		}
	})
	return r
}

// makeCertificate makes a CA and a server certificate for r.Hosts signed by it.
func (r *Registry) makeCertificate(t testing.TB) tls.Certificate {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kaji test registry CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: r.Hosts[0]}, DNSNames: r.Hosts,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	r.CACertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	r.ca = x509.NewCertPool()
	r.ca.AddCert(caCert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// known reports whether hostport is one of r.Hosts on port 443.
func (r *Registry) known(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	return err == nil && port == "443" && slices.Contains(r.Hosts, host)
}

// HTTPClient is a client that reaches r.Hosts at r (and nothing else), trusting its CA.
func (r *Registry) HTTPClient() *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if !r.known(addr) {
				return nil, fmt.Errorf("the test registry does not answer for %s", addr)
			}
			return d.DialContext(ctx, network, r.front.Listener.Addr().String())
		},
		TLSClientConfig: &tls.Config{RootCAs: r.ca, MinVersion: tls.VersionTLS12},
	}}
}

// ProcessEnv writes the CA into dir and returns the environment that makes a process reach
// r.Hosts at r: HTTPS_PROXY naming r's proxy, and SSL_CERT_FILE naming the CA. Loopback
// addresses (the AWS simulator, the API server) are never proxied.
func (r *Registry) ProcessEnv(t testing.TB, dir string) map[string]string {
	t.Helper()
	ca := filepath.Join(dir, "registry-ca.pem")
	if err := os.WriteFile(ca, r.CACertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"HTTPS_PROXY": r.proxy.URL, "SSL_CERT_FILE": ca}
}

// serveConnect tunnels a CONNECT to one of r.Hosts on port 443 to the registry.
func (r *Registry) serveConnect(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodConnect {
		http.Error(w, "the test proxy only tunnels CONNECT", http.StatusMethodNotAllowed)
		return
	}
	if !r.known(req.Host) {
		http.Error(w, "the test proxy only reaches "+strings.Join(r.Hosts, ", "), http.StatusForbidden)
		return
	}
	upstream, err := net.Dial("tcp", r.front.Listener.Addr().String())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		_ = upstream.Close()
		http.Error(w, "cannot hijack the connection", http.StatusInternalServerError)
		return
	}
	client, buf, err := hj.Hijack()
	if err != nil {
		_ = upstream.Close()
		return
	}
	r.mu.Lock()
	r.tunnels[req.Host]++
	r.conns = append(r.conns, client, upstream)
	r.mu.Unlock()
	if _, err := client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		_ = client.Close()
		_ = upstream.Close()
		return
	}
	go func() {
		_, _ = io.Copy(upstream, buf) // what the client sent, buffered or not
		_ = upstream.Close()
	}()
	go func() {
		_, _ = io.Copy(client, upstream)
		_ = client.Close()
	}()
}

// PlainHost is host:port of the same registry over plain HTTP without authentication: a
// registry that is not ECR's (Loader option PlainHTTP).
func (r *Registry) PlainHost() string { return strings.TrimPrefix(r.backend.URL, "http://") }

// Requests is how many requests the registry answered for host.
func (r *Registry) Requests(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[host]
}

// Tunnels is how many CONNECT tunnels the proxy opened to hostport.
func (r *Registry) Tunnels(hostport string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tunnels[hostport]
}

// publicToken is the anonymous token the Amazon ECR Public stand-in gives everyone.
const publicToken = "ecr-public-anonymous-token"

// publicFront answers as public.ecr.aws does for anonymous pulls: a Bearer challenge, an
// anonymous token from /token, and pulls with that token only.
func publicFront(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/token" {
			if _, _, ok := req.BasicAuth(); ok { // this stand-in serves anonymous pulls only
				http.Error(w, "credentials are not accepted here", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"token":"` + publicToken + `"}`))
			return
		}
		if req.Header.Get("Authorization") != "Bearer "+publicToken {
			w.Header().Set("Www-Authenticate", `Bearer realm="https://public.ecr.aws/token",service="public.ecr.aws",scope="aws"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			http.Error(w, `{"errors":[{"code":"DENIED","message":"anonymous users may only pull"}]}`, http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, req)
	})
}
