package awssim

import (
	"sync"
	"testing"
	"time"
)

// StartT starts the simulator on the fixture written in YAML, for a test: it fails t on an
// error and closes the simulator when t ends.
func StartT(t testing.TB, fixture string, opts ...Option) *Server {
	t.Helper()
	fx, err := ParseFixture([]byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(fx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// SetEnv points the AWS SDK of the process at s for the rest of t (Env, with its CA bundle in a
// directory of t), signing with the fixture's access key accessKeyID, in region.
func (s *Server) SetEnv(t testing.TB, accessKeyID, region string) {
	t.Helper()
	vars, err := s.Env(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	creds, err := s.CredentialsEnv(accessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]string{vars, creds, {"AWS_REGION": region}} {
		for k, v := range m {
			t.Setenv(k, v)
		}
	}
}

// ManualClock is a clock that a test sets, for the simulator and the code under test to share
// (Option WithClock): credentials and tokens expire when the test says.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock that reads now until it is moved.
func NewManualClock(now time.Time) *ManualClock { return &ManualClock{now: now} }

// Now is the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
