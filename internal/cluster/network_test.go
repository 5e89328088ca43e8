package cluster

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// client is an HTTP client with the transport a Conn's clients get (without client-go's own
// retries, which live in rest.Request), for srv.
func client(t *testing.T, srv *httptest.Server, n Network) *http.Client {
	t.Helper()
	cfg := &rest.Config{Host: srv.URL}
	n.configure(cfg)
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: rt}
}

// failing answers the first fail requests with status (and Retry-After when given), then 200;
// it counts the requests and checks that each carries the same body.
func failing(t *testing.T, fail, status int, retryAfter string) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodGet && string(body) != "the body" {
			t.Errorf("request %d: body %q, want it sent again whole", n.Load()+1, body)
		}
		if int(n.Add(1)) <= fail {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestRetriesOnlyWhatIsSafeToRepeat(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		fail        int
		status      int
		retryAfter  string
		wantStatus  int
		wantSent    int32
	}{
		{"read through a 503 burst", http.MethodGet, "/api/v1/secrets", "", 3, 503, "", 200, 4},
		{"read gives up after 3 retries", http.MethodGet, "/api/v1/secrets", "", 9, 500, "", 500, 4},
		{"read throttled without Retry-After", http.MethodGet, "/api/v1/secrets", "", 1, 429, "", 200, 2},
		{"Retry-After is client-go's to honour", http.MethodGet, "/api/v1/secrets", "", 1, 503, "1", 503, 1},
		{"a 4xx is an answer", http.MethodGet, "/api/v1/secrets", "", 1, 404, "", 404, 1},
		{"put", http.MethodPut, "/api/v1/namespaces/a/secrets/s", "application/json", 2, 502, "", 200, 3},
		{"server-side apply", http.MethodPatch, "/api/v1/namespaces/a/configmaps/c", "application/apply-patch+yaml", 1, 504, "", 200, 2},
		{"dry run", http.MethodPost, "/api/v1/namespaces/a/configmaps?dryRun=All", "application/json", 1, 503, "", 200, 2},
		{"create is not repeated", http.MethodPost, "/api/v1/namespaces/a/configmaps", "application/json", 1, 503, "", 503, 1},
		{"merge patch is not repeated", http.MethodPatch, "/api/v1/namespaces/a/configmaps/c", "application/merge-patch+json", 1, 503, "", 503, 1},
		{"delete is not repeated", http.MethodDelete, "/api/v1/namespaces/a/configmaps/c", "application/json", 1, 503, "", 503, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, sent := failing(t, tt.fail, tt.status, tt.retryAfter)
			var body io.Reader
			if tt.method != http.MethodGet {
				body = bytes.NewReader([]byte("the body"))
			}
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := client(t, srv, Network{}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || sent.Load() != tt.wantSent {
				t.Errorf("status %d after %d requests, want %d after %d", resp.StatusCode, sent.Load(), tt.wantStatus, tt.wantSent)
			}
		})
	}
}

// A stalled answer fails after RequestTimeout with an error that names the server and the
// request, and it is not repeated; a watch that streams longer than that is not cut.
func TestRequestTimeout(t *testing.T) {
	var sent atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		if r.URL.Query().Get("watch") == "true" {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-release // the test has waited past the timeout
			_, _ = io.WriteString(w, "event")
			return
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	c := client(t, srv, Network{RequestTimeout: 200 * time.Millisecond})

	_, err := c.Get(srv.URL + "/api/v1/namespaces/a/secrets")
	var stall *StallError
	if !errors.As(err, &stall) {
		t.Fatalf("stalled read: %v, want a StallError", err)
	}
	want := "the API server at " + srv.URL + " did not answer GET /api/v1/namespaces/a/secrets within 200ms: check the network to it and its health, or give it longer with --request-timeout"
	if stall.Error() != want || sent.Load() != 1 {
		t.Errorf("stalled read after %d requests: %q\nwant once: %q", sent.Load(), stall.Error(), want)
	}

	resp, err := c.Get(srv.URL + "/api/v1/namespaces/a/secrets?watch=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// Past the timeout: the deadline of a stall would have cancelled the stream by now.
	time.AfterFunc(400*time.Millisecond, func() { close(release) })
	got, err := io.ReadAll(resp.Body)
	if err != nil || !strings.Contains(string(got), "event") {
		t.Errorf("watch stream: %q, %v; want its event after the timeout", got, err)
	}
}

// A connection that breaks is tried again for a PUT; a GET's is left to client-go, which
// retries it itself (up to ten times), so that the tries do not multiply.
func TestBrokenConnections(t *testing.T) {
	for _, tt := range []struct {
		method   string
		wantSent int32
		wantErr  bool
	}{
		{http.MethodPut, 2, false},
		{http.MethodGet, 1, true},
	} {
		t.Run(tt.method, func(t *testing.T) {
			var sent atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if sent.Add(1) == 1 {
					conn, _, err := http.NewResponseController(w).Hijack()
					if err != nil {
						t.Error(err)
						return
					}
					_ = conn.Close()
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(srv.Close)
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+"/api/v1/namespaces/a/secrets/s", bytes.NewReader([]byte("the body")))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client(t, srv, Network{}).Do(req)
			if err == nil {
				_ = resp.Body.Close()
			}
			if (err != nil) != tt.wantErr || sent.Load() != tt.wantSent {
				t.Errorf("%d requests, error %v; want %d, error %v", sent.Load(), err, tt.wantSent, tt.wantErr)
			}
		})
	}
}
