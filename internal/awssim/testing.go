package awssim

import (
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// StartT starts the simulator on the fixture written in YAML, for a test: it fails t on an
// error and closes the simulator when t ends.
func StartT(t testing.TB, fixture string, opts ...Option) *Server {
	t.Helper()
	fx, err := ParseFixture([]byte(fixture))
	return startT(t, fx, err, opts...)
}

// StartFileT is StartT for a fixture file.
func StartFileT(t testing.TB, path string, opts ...Option) *Server {
	t.Helper()
	fx, err := LoadFixture(path)
	return startT(t, fx, err, opts...)
}

// startT starts the simulator on fx, read with err, for t.
func startT(t testing.TB, fx *Fixture, err error, opts ...Option) *Server {
	t.Helper()
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

// SetEnv points the AWS SDK of the process at s for the rest of t (EnvFor), signing with the
// fixture's access key accessKeyID, in region.
func (s *Server) SetEnv(t testing.TB, accessKeyID, region string) {
	t.Helper()
	for k, v := range s.EnvFor(t, accessKeyID, region) {
		t.Setenv(k, v)
	}
}

// EnvFor is the environment that points a process's AWS SDK at s (Env, with its CA bundle in
// a directory of t), signing with the fixture's access key accessKeyID, in region.
func (s *Server) EnvFor(t testing.TB, accessKeyID, region string) map[string]string {
	t.Helper()
	vars, err := s.Env(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	creds, err := s.CredentialsEnv(accessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range creds {
		vars[k] = v
	}
	vars["AWS_REGION"] = region
	return vars
}

// ConfigFor is an SDK configuration that talks to s alone, signing with the fixture's access
// key accessKeyID, in region, with one attempt per call (no retry hides a failure).
func (s *Server) ConfigFor(t testing.TB, accessKeyID, region string) aws.Config {
	t.Helper()
	creds, err := s.CredentialsEnv(accessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(accessKeyID, creds["AWS_SECRET_ACCESS_KEY"], ""),
		HTTPClient:       s.HTTPClient(),
		BaseEndpoint:     aws.String(s.URL()),
		RetryMaxAttempts: 1,
	}
}

// ClearAmbientEnv blanks, for the rest of t, the AWS settings of the test's own environment
// that the SDK's default chain would take before the simulator's: profiles, session tokens,
// web identity, container credentials, the endpoint for every service, the region.
func ClearAmbientEnv(t testing.TB) {
	t.Helper()
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
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
