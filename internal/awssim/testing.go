package awssim

import "testing"

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
