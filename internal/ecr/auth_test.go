package ecr_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/ecr"
)

func TestCredentialsOncePerHost(t *testing.T) {
	sim := startSim(t)
	cfg := newConfigs(t, sim, pullerKey)
	a := ecr.NewAuth(cfg.config, ecr.Options{})

	// Hosts that are not ECR's are not its own, and cost no AWS call.
	for _, host := range []string{"ghcr.io", "registry.example.com:5000", "127.0.0.1:5000"} {
		if _, _, ok, err := a.Credentials(t.Context(), host); ok || err != nil {
			t.Errorf("%s: ok %v, err %v; want not its own", host, ok, err)
		}
	}
	// Amazon ECR Public: anonymous, no AWS call.
	if user, pass, ok, err := a.Credentials(t.Context(), "public.ecr.aws"); !ok || err != nil || user != "" || pass != "" {
		t.Errorf("public.ecr.aws: %q, %d bytes, %v, %v; want anonymous", user, len(pass), ok, err)
	}
	if n := cfg.calls.Load(); n != 0 || len(sim.Calls()) != 0 {
		t.Fatalf("without a private ECR host: %d configurations made, calls %q; want none", n, calls(sim))
	}

	// Concurrent loads of charts of one registry ask for one token.
	var wg sync.WaitGroup
	passwords := make([]string, 8)
	for i := range passwords {
		wg.Go(func() {
			host := hostEU
			if i%2 == 1 {
				host += ":443"
			}
			user, pass, ok, err := a.Credentials(t.Context(), host)
			if err != nil || !ok || user != "AWS" {
				t.Errorf("%s: user %q, ok %v, err %v", host, user, ok, err)
			}
			passwords[i] = pass
		})
	}
	wg.Wait()
	for _, p := range passwords[1:] {
		if p == "" || p != passwords[0] {
			t.Fatal("the loads of one registry got different or empty passwords")
		}
	}
	if _, _, _, err := a.Credentials(t.Context(), hostUS); err != nil {
		t.Fatal(err)
	}
	if got, want := calls(sim), "ecr:GetAuthorizationToken ecr:GetAuthorizationToken"; got != want {
		t.Errorf("calls = %q, want one token per registry host: %q", got, want)
	}
	if n := cfg.calls.Load(); n != 1 {
		t.Errorf("the AWS configuration was made %d times, want once per run", n)
	}

	// A new Auth (a new run) asks again: tokens are not kept across runs.
	if _, _, _, err := ecr.NewAuth(cfg.config, ecr.Options{}).Credentials(t.Context(), hostEU); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(calls(sim), "GetAuthorizationToken"); got != 3 {
		t.Errorf("GetAuthorizationToken called %d times after a second run, want 3", got)
	}
}

func TestCredentialsRenewedBeforeExpiry(t *testing.T) {
	sim := startSim(t)
	start := time.Now()
	c := awssim.NewManualClock(start)
	a := ecr.NewAuth(newConfigs(t, sim, pullerKey).config, ecr.Options{Now: c.Now})
	_, first, _, err := a.Credentials(t.Context(), hostEU)
	if err != nil {
		t.Fatal(err)
	}
	// Eleven hours on, the 12-hour token still serves.
	c.Set(start.Add(11 * time.Hour))
	if _, again, _, err := a.Credentials(t.Context(), hostEU); err != nil || again != first {
		t.Fatalf("after 11h: err %v, same token %v; want the same token", err, again == first)
	}
	// Minutes before it expires, a new one is asked for.
	c.Set(start.Add(12*time.Hour - time.Minute))
	_, renewed, _, err := a.Credentials(t.Context(), hostEU)
	if err != nil {
		t.Fatal(err)
	}
	if renewed == first {
		t.Error("a token about to expire was used again")
	}
	if got := strings.Count(calls(sim), "GetAuthorizationToken"); got != 2 {
		t.Errorf("GetAuthorizationToken called %d times, want 2", got)
	}
}

func TestCredentialsDenied(t *testing.T) {
	sim := startSim(t)
	a := ecr.NewAuth(newConfigs(t, sim, nobodyKey).config, ecr.Options{})
	_, _, ok, err := a.Credentials(t.Context(), hostEU)
	var e *ecr.Error
	if !ok || !errors.As(err, &e) || e.Code != "AccessDeniedException" {
		t.Fatalf("err = %v, want an *ecr.Error with AccessDeniedException", err)
	}
	for _, want := range []string{
		"get an ECR token for " + hostEU + " as arn:aws:iam::111122223333:user/nobody",
		"allow it ecr:GetAuthorizationToken (on *)",
		"ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on the repository",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	// The run fails on it: the token is not asked for again, for this host.
	if _, _, _, again := a.Credentials(t.Context(), hostEU); !errors.Is(again, err) {
		t.Errorf("second call: %v, want the same error", again)
	}
	if got, want := calls(sim), "ecr:GetAuthorizationToken:AccessDenied sts:GetCallerIdentity"; got != want {
		t.Errorf("calls = %q, want %q", got, want)
	}
}

func TestCredentialsWithoutAWSConfiguration(t *testing.T) {
	a := ecr.NewAuth(func(context.Context) (aws.Config, error) {
		return aws.Config{}, errors.New("no AWS credentials found (set AWS_PROFILE)")
	}, ecr.Options{})
	_, _, _, err := a.Credentials(t.Context(), hostEU)
	if err == nil || !strings.Contains(err.Error(), "get an ECR token for "+hostEU+": no AWS credentials found (set AWS_PROFILE)") {
		t.Fatalf("err = %v, want the configuration's error for the host", err)
	}
}

func TestRefused(t *testing.T) {
	sim := startSim(t)
	a := ecr.NewAuth(newConfigs(t, sim, tokenOnlyKey).config, ecr.Options{})
	got := a.Refused(t.Context(), hostEU, "charts/alpha", http.StatusForbidden)
	for _, want := range []string{
		"ECR refused the token of arn:aws:iam::111122223333:user/tokenonly",
		"ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on arn:aws:ecr:eu-west-1:111122223333:repository/charts/alpha",
		"ecr:GetAuthorizationToken",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Refused lacks %q:\n%s", want, got)
		}
	}
	if h := a.Refused(t.Context(), "ghcr.io", "x/y", http.StatusForbidden); h != "" {
		t.Errorf("Refused for ghcr.io = %q, want empty", h)
	}
	if h := a.Refused(t.Context(), "public.ecr.aws", "x/y", http.StatusUnauthorized); !strings.Contains(h, "public repositories") {
		t.Errorf("Refused for public.ecr.aws = %q", h)
	}
}
