package ecr_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"kaji.dev/kaji/internal/ecr"
	"kaji.dev/kaji/internal/secrets/secretstest"
)

// moto_server, an AWS emulator written apart from kaji's simulator, answers the same
// GetAuthorizationToken call: its token decodes to AWS and a password, in the registry's
// region, and is asked once per registry host.
func TestCredentialsFromMoto(t *testing.T) {
	m := secretstest.StartMoto(t)
	made := 0
	a := ecr.NewAuth(func(context.Context) (aws.Config, error) {
		made++
		return aws.Config{
			Region:       "eu-central-1",
			Credentials:  credentials.NewStaticCredentialsProvider("AKIAMOTO000000000001", "moto-secret", ""),
			BaseEndpoint: aws.String(m.Endpoint),
			HTTPClient:   &http.Client{Timeout: 30 * time.Second},
		}, nil
	}, ecr.Options{})
	user, pass, ok, err := a.Credentials(t.Context(), "123456789012.dkr.ecr.eu-west-1.amazonaws.com")
	if err != nil || !ok {
		t.Fatalf("ok %v, err %v", ok, err)
	}
	if user != "AWS" || pass == "" || strings.HasPrefix(pass, "AWS:") {
		t.Errorf("moto's token decodes to user %q and a password of %d bytes; want AWS and a password", user, len(pass))
	}
	_, again, _, err := a.Credentials(t.Context(), "123456789012.dkr.ecr.eu-west-1.amazonaws.com:443")
	if err != nil || again != pass || made != 1 {
		t.Errorf("second call: err %v, same password %v, configurations %d; want the kept token", err, again == pass, made)
	}
}
