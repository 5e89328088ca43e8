package eks_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"kaji.dev/kaji/internal/awssim"
	"kaji.dev/kaji/internal/eks"
)

// tokenSource connects to prod through kaji-deployer and returns the connection's tokens.
func connectTokens(t *testing.T, sim *awssim.Server, clock *awssim.ManualClock) *eks.Connection {
	t.Helper()
	if err := sim.SetClusterEndpoint("prod", "https://127.0.0.1:6443", []byte("ca")); err != nil {
		t.Fatal(err)
	}
	useSim(t, sim, aliceKey)
	opts := eks.Options{}
	if clock != nil {
		opts.Now = clock.Now
	}
	conn, err := eks.Connect(ctxT(t), deployer(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestTokenFormat(t *testing.T) {
	sim := startSim(t)
	conn := connectTokens(t, sim, nil)
	tok, err := conn.Tokens.Token(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	v := tok.Value()
	encoded, ok := strings.CutPrefix(v, "k8s-aws-v1.")
	if !ok || strings.ContainsAny(encoded, "=+/") {
		t.Fatalf("token is not k8s-aws-v1. + unpadded base64url")
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if q.Get("Action") != "GetCallerIdentity" || q.Get("Version") != "2011-06-15" || q.Get("X-Amz-Expires") != "60" ||
		q.Get("X-Amz-SignedHeaders") != "host;x-k8s-aws-id" || q.Get("X-Amz-Security-Token") == "" || u.Path != "/" {
		t.Errorf("presigned URL query = %v", redact(q))
	}
	if !strings.HasSuffix(q.Get("X-Amz-Credential"), "/eu-west-1/sts/aws4_request") {
		t.Errorf("credential scope = %s", q.Get("X-Amz-Credential"))
	}
	if d := tok.Expiry.Sub(tok.SignedAt); d != 14*time.Minute {
		t.Errorf("token used for %v, want 14m", d)
	}

	id, err := sim.VerifyToken(ctxT(t), "prod", v)
	if err != nil {
		t.Fatal(err)
	}
	if id.ARN != "arn:aws:sts::111122223333:assumed-role/kaji-deployer/kaji-e2e-user" || id.CanonicalARN != "arn:aws:iam::111122223333:role/kaji-deployer" {
		t.Errorf("identity = %+v", id)
	}
	if _, err := sim.VerifyToken(ctxT(t), "legacy", v); err == nil {
		t.Error("a token for prod verified for legacy")
	}

	// Nothing prints the token.
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprintf("%+v", *conn), fmt.Sprintf("%#v", conn.REST)} {
		if strings.Contains(s, encoded[:20]) {
			t.Errorf("printing shows the token: %.200s", s)
		}
	}
}

func redact(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		if k == "X-Amz-Signature" || k == "X-Amz-Security-Token" {
			v = []string{"<set>"}
		}
		out[k] = v
	}
	return out
}

func TestTokenRefresh(t *testing.T) {
	clock := awssim.NewManualClock(time.Now())
	sim := startSim(t, awssim.WithClock(clock.Now))
	conn := connectTokens(t, sim, clock)
	ctx := ctxT(t)
	first, err := conn.Tokens.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(13*time.Minute + 59*time.Second)
	again, err := conn.Tokens.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.Value() != first.Value() {
		t.Error("the token was re-signed before 14 minutes")
	}
	if _, err := sim.VerifyToken(ctx, "prod", first.Value()); err != nil {
		t.Errorf("a 14 minute old token: %v", err)
	}
	clock.Advance(time.Second)
	fresh, err := conn.Tokens.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Value() == first.Value() || !fresh.SignedAt.Equal(clock.Now().UTC().Truncate(time.Second)) && !fresh.SignedAt.Equal(clock.Now().UTC()) {
		t.Errorf("no fresh token at 14 minutes (signed %v)", fresh.SignedAt)
	}
	clock.Advance(time.Minute + time.Second)
	if _, err := sim.VerifyToken(ctx, "prod", first.Value()); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("a 15 minute old token: %v", err)
	}
	if _, err := sim.VerifyToken(ctx, "prod", fresh.Value()); err != nil {
		t.Errorf("the refreshed token: %v", err)
	}
}

func TestTransportAddsTokenAndDropsRejectedOnes(t *testing.T) {
	clock := awssim.NewManualClock(time.Now())
	sim := startSim(t, awssim.WithClock(clock.Now))
	conn := connectTokens(t, sim, clock)
	var seen []string
	var reject atomic.Bool
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Header.Get("Authorization"))
		if reject.Load() {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer api.Close()
	client := &http.Client{Transport: conn.REST.WrapTransport(http.DefaultTransport)}
	get := func(header string) {
		req, err := http.NewRequestWithContext(ctxT(t), http.MethodGet, api.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if req.Header.Get("Authorization") != header {
			t.Error("the transport changed the caller's request")
		}
	}
	get("")
	get("")
	reject.Store(true)
	get("")
	reject.Store(false)
	clock.Advance(time.Second)
	get("")
	get("Bearer mine")
	if len(seen) != 5 || !strings.HasPrefix(seen[0], "Bearer k8s-aws-v1.") || seen[0] != seen[1] || seen[1] != seen[2] {
		t.Fatalf("cached token not reused: %d requests", len(seen))
	}
	if seen[3] == seen[2] || !strings.HasPrefix(seen[3], "Bearer k8s-aws-v1.") {
		t.Error("a token the server rejected with 401 was used again")
	}
	if seen[4] != "Bearer mine" {
		t.Error("the transport replaced an Authorization header the caller set")
	}
}

func TestConnectAppliesLoadOptions(t *testing.T) {
	sim := startSim(t)
	if err := sim.SetClusterEndpoint("prod", "https://127.0.0.1:6443", []byte("ca")); err != nil {
		t.Fatal(err)
	}
	useSim(t, sim, "") // endpoints from the environment, but no credentials there
	keys, err := sim.CredentialsEnv(aliceKey)
	if err != nil {
		t.Fatal(err)
	}
	creds := credentials.NewStaticCredentialsProvider(aliceKey, keys["AWS_SECRET_ACCESS_KEY"], "")
	conn, err := eks.Connect(ctxT(t), deployer(), eks.Options{LoadOptions: []func(*config.LoadOptions) error{config.WithCredentialsProvider(creds)}})
	if err != nil {
		t.Fatal(err)
	}
	if conn.AWS.Region != region {
		t.Errorf("region = %s", conn.AWS.Region)
	}
}
