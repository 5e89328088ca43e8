package awssim

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
)

// Fixture access keys of testdata/fixture.yaml.
const (
	aliceKey = "AKIAALICE00000000001"
	bobKey   = "AKIABOB0000000000001"
	carolKey = "AKIACAROL00000000001"
	ciKey    = "AKIACI00000000000001"
	region   = "eu-west-1"
)

// startSim starts the simulator on the shipped fixture.
func startSim(t *testing.T, opts ...Option) *Server {
	t.Helper()
	fx, err := LoadFixture("testdata/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := Start(fx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

// sdkConfig is an SDK config that signs with a fixture key and talks to sim only; it reads
// no environment or shared files.
func sdkConfig(t *testing.T, sim *Server, keyID string) aws.Config {
	t.Helper()
	env, err := sim.CredentialsEnv(keyID)
	if err != nil {
		t.Fatal(err)
	}
	return configWith(sim, credentials.NewStaticCredentialsProvider(keyID, env["AWS_SECRET_ACCESS_KEY"], ""))
}

func configWith(sim *Server, creds aws.CredentialsProvider) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  creds,
		HTTPClient:   sim.HTTPClient(),
		BaseEndpoint: aws.String(sim.URL()),
		// The simulator answers at once; retries would only slow failing tests down.
		RetryMaxAttempts: 1,
	}
}

// apiCode returns the AWS error code of err, or "" when it has none.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func readBody(t *testing.T, r *http.Request) []byte {
	t.Helper()
	if r.Body == nil {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	r.Body = readCloser(b)
	return b
}

func readCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func asError[T error](err error, target *T) bool { return errors.As(err, target) }

func staticCreds(key, secret string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(key, secret, "")
}
