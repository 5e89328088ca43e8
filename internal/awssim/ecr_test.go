package awssim

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// Access keys of testdata/ecr.yaml (nobodyKey is there too).
const (
	pullerKey    = "AKIAPULLER0000000001"
	tokenOnlyKey = "AKIATOKENONLY0000001"
)

func startECRSim(t *testing.T, opts ...Option) *Server {
	t.Helper()
	fx, err := LoadFixture("testdata/ecr.yaml")
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

// ecrPassword asks GetAuthorizationToken as keyID in region and returns the password.
func ecrPassword(t *testing.T, sim *Server, keyID, region string) string {
	t.Helper()
	out, err := ecr.NewFromConfig(sdkConfig(t, sim, keyID), func(o *ecr.Options) { o.Region = region }).
		GetAuthorizationToken(ctxT(t), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	if err != nil {
		t.Fatal(err)
	}
	user, password, _ := strings.Cut(string(raw), ":")
	if user != "AWS" || password == "" {
		t.Fatalf("token decodes to user %q and a password of %d bytes, want AWS and a password", user, len(password))
	}
	return password
}

func TestGetAuthorizationToken(t *testing.T) {
	clock := NewManualClock(time.Now().Truncate(time.Second)) // signatures are checked against it
	sim := startECRSim(t, WithClock(clock.Now))

	out, err := ecr.NewFromConfig(sdkConfig(t, sim, pullerKey)).GetAuthorizationToken(ctxT(t), &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AuthorizationData) != 1 {
		t.Fatalf("got %d authorization data, want 1", len(out.AuthorizationData))
	}
	d := out.AuthorizationData[0]
	if got, want := aws.ToString(d.ProxyEndpoint), "https://111122223333.dkr.ecr.eu-west-1.amazonaws.com"; got != want {
		t.Errorf("proxyEndpoint = %s, want %s", got, want)
	}
	if d.ExpiresAt == nil || !d.ExpiresAt.Equal(clock.Now().Add(12*time.Hour)) {
		t.Errorf("expiresAt = %v, want 12 hours after %v", d.ExpiresAt, clock.Now())
	}

	// Without the permission: AccessDeniedException naming the caller and the action.
	_, err = ecr.NewFromConfig(sdkConfig(t, sim, nobodyKey)).GetAuthorizationToken(ctxT(t), &ecr.GetAuthorizationTokenInput{})
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "user/nobody is not authorized to perform: ecr:GetAuthorizationToken") {
		t.Errorf("nobody: err = %v, want AccessDeniedException naming user/nobody and ecr:GetAuthorizationToken", err)
	}
	var actions []string
	for _, c := range sim.Calls() {
		actions = append(actions, c.Service+":"+c.Action+":"+c.ErrorCode)
	}
	if got, want := strings.Join(actions, " "), "ecr:GetAuthorizationToken: ecr:GetAuthorizationToken:AccessDenied"; got != want {
		t.Errorf("calls = %s, want %s", got, want)
	}
}

// registryBackend stands for the registry behind the front: it answers 200 with the path.
func registryBackend() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("backend " + r.URL.Path)) })
}

func TestECRRegistry(t *testing.T) {
	clock := NewManualClock(time.Now().Truncate(time.Second)) // signatures are checked against it
	sim := startECRSim(t, WithClock(clock.Now))
	front := httptest.NewServer(sim.ECRRegistry(registryBackend()))
	t.Cleanup(front.Close)

	puller := ecrPassword(t, sim, pullerKey, "eu-west-1")
	pullerUS := ecrPassword(t, sim, pullerKey, "us-east-1")
	tokenOnly := ecrPassword(t, sim, tokenOnlyKey, "eu-west-1")
	const home, other = "111122223333.dkr.ecr.eu-west-1.amazonaws.com", "444455556666.dkr.ecr.eu-west-1.amazonaws.com"

	tests := []struct {
		name, method, host, path string
		user, password           string
		status                   int
		want                     string // in the body
	}{
		{"no credentials", "GET", home, "/v2/", "", "", 401, "Not Authorized"},
		{"wrong password", "GET", home, "/v2/", "AWS", "not-a-token", 401, "Not Authorized"},
		{"wrong user", "GET", home, "/v2/", "admin", puller, 401, "Not Authorized"},
		{"token of another region", "GET", home, "/v2/", "AWS", pullerUS, 401, "Not Authorized"},
		{"base", "GET", home, "/v2/", "AWS", puller, 200, "backend /v2/"},
		{"manifest", "GET", home, "/v2/charts/alpha/manifests/1.0.0", "AWS", puller, 200, "backend"},
		{"blob", "GET", home, "/v2/charts/alpha/blobs/sha256:00", "AWS", puller, 200, "backend"},
		{"tags", "GET", home, "/v2/charts/team/alpha/tags/list", "AWS", puller, 200, "backend"},
		{"repository outside the policy", "GET", home, "/v2/apps/web/manifests/1.0.0", "AWS", puller, 403,
			"user/puller is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:eu-west-1:111122223333:repository/apps/web"},
		{"token only", "GET", home, "/v2/charts/alpha/blobs/sha256:00", "AWS", tokenOnly, 403,
			"is not authorized to perform: ecr:GetDownloadUrlForLayer"},
		{"push not allowed", "PUT", home, "/v2/charts/alpha/manifests/1.0.0", "AWS", puller, 403, "ecr:PutImage"},
		{"another account, no repository policy", "GET", other, "/v2/x/manifests/1", "AWS", puller, 403, "no resource-based policy"},
		{"unknown host", "GET", "registry.example.com", "/v2/", "AWS", puller, 404, "not an ECR registry host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, challenge := registryGet(t, front.URL, tt.method, tt.host, tt.path, tt.user, tt.password)
			if status != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("%s %s = %d %q, want %d with %q", tt.method, tt.path, status, body, tt.status, tt.want)
			}
			if tt.status == 401 && challenge != `Basic realm="https://`+tt.host+`/",service="ecr.amazonaws.com"` {
				t.Errorf("challenge = %q, want ECR's Basic challenge for %s", challenge, tt.host)
			}
		})
	}

	// Twelve hours on, the token has expired.
	clock.Advance(12 * time.Hour)
	status, body, _ := registryGet(t, front.URL, "GET", home, "/v2/charts/alpha/manifests/1.0.0", "AWS", puller)
	if status != 403 || !strings.Contains(body, "authorization token has expired") {
		t.Errorf("expired token: %d %s, want 403 saying it expired", status, body)
	}

	var denied, pulled int
	for _, c := range sim.Calls() {
		switch {
		case c.Service == "ecr" && c.ErrorCode == "DENIED":
			denied++
		case c.Service == "ecr" && c.Action == "BatchGetImage" && c.Status == 200:
			pulled++
			if c.Caller != "arn:aws:iam::111122223333:user/puller" {
				t.Errorf("pull recorded as %s, want user/puller", c.Caller)
			}
		}
	}
	if denied != 4 || pulled != 1 {
		t.Errorf("recorded %d denied and %d manifest pulls, want 4 and 1", denied, pulled)
	}
}

// registryGet sends a request for host through the front and returns the status, the body
// and the challenge.
func registryGet(t *testing.T, base, method, host, path, user, password string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if user != "" || password != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(data)
	if resp.StatusCode == http.StatusForbidden { // an OCI error document
		var doc struct {
			Errors []struct{ Code, Message string } `json:"errors"`
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil || len(doc.Errors) != 1 || doc.Errors[0].Code != "DENIED" {
			t.Errorf("403 body %q is not an OCI error document with code DENIED", body)
		}
	}
	return resp.StatusCode, body, resp.Header.Get("Www-Authenticate")
}
