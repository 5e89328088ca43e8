package awssim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	authnv1 "k8s.io/api/authentication/v1"
)

// presignToken makes an EKS token the way aws-iam-authenticator's client does.
func presignToken(t *testing.T, cfg aws.Config, cluster string, headers map[string]string) string {
	t.Helper()
	client := sts.NewPresignClient(sts.NewFromConfig(cfg))
	req, err := client.PresignGetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{}, func(o *sts.PresignOptions) {
		o.ClientOptions = append(o.ClientOptions, func(so *sts.Options) {
			for k, v := range headers {
				so.APIOptions = append(so.APIOptions, smithyhttp.SetHeaderValue(k, v))
			}
			if cluster != "" {
				so.APIOptions = append(so.APIOptions, smithyhttp.SetHeaderValue(ClusterIDHeader, cluster))
			}
			so.APIOptions = append(so.APIOptions, smithyhttp.SetHeaderValue("X-Amz-Expires", "60"))
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL))
}

func TestVerifyToken(t *testing.T) {
	clock := NewManualClock(time.Now())
	sim := startSim(t, WithClock(clock.Now))
	cfg := sdkConfig(t, sim, carolKey)
	good := presignToken(t, cfg, "prod", nil)

	id, err := sim.VerifyToken(t.Context(), "prod", good)
	if err != nil {
		t.Fatal(err)
	}
	if id.ARN != "arn:aws:iam::111122223333:user/carol" || id.CanonicalARN != id.ARN || id.AccessKeyID != carolKey || !strings.HasPrefix(id.UserID, "AIDA") {
		t.Errorf("identity = %+v", id)
	}

	rewrite := func(token string, fn func(*url.URL)) string {
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, TokenPrefix))
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(string(raw))
		if err != nil {
			t.Fatal(err)
		}
		fn(u)
		return TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(u.String()))
	}
	for _, c := range []struct {
		name    string
		token   string
		cluster string
		format  bool
		reason  string
	}{
		{"made for another cluster", good, "legacy", false, "SignatureDoesNotMatch"},
		{"cluster header not signed", presignToken(t, cfg, "", nil), "prod", true, "did not sign the x-k8s-aws-id header"},
		{"no prefix", strings.TrimPrefix(good, TokenPrefix), "prod", true, "missing expected"},
		{"not base64", TokenPrefix + "%%%", "prod", true, "illegal base64"},
		{"other host", rewrite(good, func(u *url.URL) { u.Host = "sts.amazonaws.com" }), "prod", true, "unexpected hostname"},
		{"plain http", rewrite(good, func(u *url.URL) { u.Scheme = "http" }), "prod", true, "unexpected scheme"},
		{"extra parameter", rewrite(good, func(u *url.URL) { u.RawQuery += "&Foo=bar" }), "prod", true, "non-whitelisted"},
		{"other action", rewrite(good, func(u *url.URL) {
			q := u.Query()
			q.Set("Action", "AssumeRole")
			u.RawQuery = q.Encode()
		}), "prod", true, "unexpected action"},
		{"tampered signature", rewrite(good, func(u *url.URL) {
			q := u.Query()
			q.Set("X-Amz-Signature", strings.Repeat("0", 64))
			u.RawQuery = q.Encode()
		}), "prod", false, "SignatureDoesNotMatch"},
		{"too long", TokenPrefix + strings.Repeat("a", 5000), "prod", true, "too large"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := sim.VerifyToken(t.Context(), c.cluster, c.token)
			var te *TokenError
			if !errors.As(err, &te) || te.Format != c.format || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("error = %v, want a TokenError (format %v) containing %q", err, c.format, c.reason)
			}
			if strings.Contains(err.Error(), "X-Amz-Signature=") {
				t.Errorf("the error leaks the presigned URL: %v", err)
			}
		})
	}

	clock.Advance(16 * time.Minute)
	if _, err := sim.VerifyToken(t.Context(), "prod", good); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("a 16 minute old token: %v", err)
	}
}

func TestWebhookAuthenticatesAccessEntry(t *testing.T) {
	sim := startSim(t)
	hook := sim.StartWebhook()
	t.Cleanup(hook.Close)
	review := func(cluster, token string) authnv1.TokenReview {
		body, err := json.Marshal(authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token}})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hook.srv.Client().Post(hook.URL(cluster), "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %s", resp.Status)
		}
		var out authnv1.TokenReview
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if err := sim.UpdateCluster("prod", func(c *ClusterConfig) { c.AuthenticationMode = ModeAPI }); err != nil {
		t.Fatal(err)
	}
	token := presignToken(t, sdkConfig(t, sim, carolKey), "prod", nil)
	got := review("prod", token)
	if !got.Status.Authenticated || got.Status.User.Username != "carol" || !strings.Contains(strings.Join(got.Status.User.Groups, ","), "kaji-viewers") {
		t.Errorf("status = %+v", got.Status)
	}
	if got.Status.User.Extra["arn"][0] != "arn:aws:iam::111122223333:user/carol" {
		t.Errorf("extra = %v", got.Status.User.Extra)
	}
	// CONFIG_MAP needs aws-auth, which needs a Kubernetes client.
	bobToken := presignToken(t, sdkConfig(t, sim, bobKey), "legacy", nil)
	if got := review("legacy", bobToken); got.Status.Authenticated || !strings.Contains(got.Status.Error, "UseConfigMaps") {
		t.Errorf("legacy: %+v", got.Status)
	}
	if got := review("nope", token); got.Status.Authenticated || !strings.Contains(got.Status.Error, `no cluster "nope"`) {
		t.Errorf("unknown cluster: %+v", got.Status)
	}
	reviews := hook.Reviews()
	if len(reviews) != 3 || reviews[0].ARN != "arn:aws:iam::111122223333:user/carol" || reviews[0].Source == "" {
		t.Errorf("reviews = %+v", reviews)
	}
	for _, r := range reviews {
		if strings.Contains(r.Reason, TokenPrefix) {
			t.Errorf("review leaks the token: %+v", r)
		}
	}
}
