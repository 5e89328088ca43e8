package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/rest"
)

// DefaultRequestTimeout bounds the wait for the API server's answer to one request when
// Network.RequestTimeout is zero. The API server ends a request it cannot serve after one
// minute (its --request-timeout); an answer that has not started well after that will not come.
const DefaultRequestTimeout = 2 * time.Minute

// Network is how requests to the API server behave on a network or a server that fails.
//
// client-go already retries, up to ten times, a request answered 429 or 5xx with a
// Retry-After header (as the API server's flow control answers), and a GET whose connection
// was reset. On top of that, kaji retries a request that is safe to repeat (reads, PUT,
// server-side applies and dry runs) when its connection fails or the answer is a 5xx or 429
// without Retry-After, a few times with backoff; and it gives up on an answer that has not
// started within RequestTimeout, with an error that names the server.
type Network struct {
	// RequestTimeout bounds the wait for an answer to start (its headers); a watch's stream
	// is not bounded. Zero means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// Warnings receives the API server's warnings (Warning headers), one line each. Nil
	// leaves client-go's default, which logs them to the process's stderr.
	Warnings io.Writer
}

// retries is how many times a safe request is tried again; backoff the first wait, doubled
// each time (250ms, 500ms, 1s: under 2s in all).
const (
	retries = 3
	backoff = 250 * time.Millisecond
)

// configure makes config behave as n says.
func (n Network) configure(config *rest.Config) {
	timeout := n.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	host := config.Host
	config.Wrap(func(next http.RoundTripper) http.RoundTripper {
		return &retrying{next: next, host: host, timeout: timeout}
	})
	if n.Warnings != nil {
		config.WarningHandler = rest.NewWarningWriter(n.Warnings, rest.WarningWriterOptions{Deduplicate: true})
		config.WarningHandlerWithContext = nil
	}
}

// retrying retries the requests that are safe to repeat, and bounds the wait for answers.
type retrying struct {
	next    http.RoundTripper
	host    string
	timeout time.Duration
}

// StallError is a request whose answer did not start in time.
type StallError struct {
	// Host is the API server's URL; Method and Path say which request it did not answer.
	Host, Method, Path string
	// Wait is how long the request waited (the request timeout).
	Wait time.Duration
}

func (e *StallError) Error() string {
	return fmt.Sprintf("the API server at %s did not answer %s %s within %s: check the network to it and its health, or give it longer with --request-timeout", e.Host, e.Method, e.Path, e.Wait)
}

// Timeout says that the error is a timeout, as net.Error does.
func (e *StallError) Timeout() bool { return true }

func (t *retrying) RoundTrip(req *http.Request) (*http.Response, error) {
	safe := repeatable(req)
	wait := backoff
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("repeat %s %s: %w", req.Method, req.URL.Path, err)
			}
			r = req.Clone(req.Context())
			r.Body = body
		}
		resp, err := t.once(r)
		if !safe || attempt == retries || !transient(req, resp, err) || req.Context().Err() != nil {
			return resp, err
		}
		if resp != nil {
			// Drain a little so that the connection can be reused.
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
			_ = resp.Body.Close()
		}
		timer := time.NewTimer(wait)
		select {
		case <-req.Context().Done():
			timer.Stop()
			if resp != nil {
				return nil, req.Context().Err()
			}
			return nil, err
		case <-timer.C:
		}
		wait *= 2
	}
}

// once sends req and waits at most t.timeout for the answer to start. The body of the
// answer is read without a bound (a watch streams for as long as it lasts).
func (t *retrying) once(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(req.Context())
	stall := &StallError{Host: t.host, Method: req.Method, Path: req.URL.Path, Wait: t.timeout}
	timer := time.AfterFunc(t.timeout, func() { cancel(stall) })
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	stopped := timer.Stop()
	if err != nil {
		cancel(nil)
		if !stopped && errors.Is(context.Cause(ctx), stall) {
			return nil, stall
		}
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel(nil)
	return err
}

// repeatable says whether sending req twice does no more than sending it once: a read, a
// PUT (a whole object, or a conflict when the first one changed it), a server-side apply or
// a dry run; and whether its body can be sent again.
func repeatable(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return false
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut:
		return true
	case http.MethodPatch:
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch") {
			return true
		}
	}
	return req.URL.Query().Has("dryRun")
}

// transient says whether an answer or error to req may well go away on its own, and
// client-go does not retry it itself: a connection that broke (client-go retries a GET's, up
// to ten times: retrying it here as well would multiply the tries) or was refused, a 429 or
// 5xx without Retry-After (client-go retries those with it).
func transient(req *http.Request, resp *http.Response, err error) bool {
	if err != nil {
		var stall *StallError
		if errors.As(err, &stall) {
			return false
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return true
		}
		broke := utilnet.IsConnectionReset(err) || utilnet.IsProbableEOF(err) ||
			utilnet.IsHTTP2ConnectionLost(err) || errors.Is(err, io.ErrUnexpectedEOF)
		return broke && req.Method != http.MethodGet
	}
	if resp.Header.Get("Retry-After") != "" {
		return false
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}
