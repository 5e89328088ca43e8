package awssim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// TokenPrefix starts every EKS bearer token.
	TokenPrefix = "k8s-aws-v1."
	// ClusterIDHeader is the signed header that binds a token to one cluster.
	ClusterIDHeader = "x-k8s-aws-id"
	// maxTokenLen is aws-iam-authenticator's limit.
	maxTokenLen = 4096
	// tokenLifetime is how long a token's presigned URL is honoured after X-Amz-Date.
	tokenLifetime = 15 * time.Minute
)

// allowedTokenParams are the only query parameters a token's URL may carry.
var allowedTokenParams = map[string]bool{
	"action": true, "version": true, "x-amz-algorithm": true, "x-amz-credential": true,
	"x-amz-date": true, "x-amz-expires": true, "x-amz-security-token": true,
	"x-amz-signature": true, "x-amz-signedheaders": true,
}

// TokenError says why a token was rejected. It never contains the token.
type TokenError struct {
	// Format is true when the token itself is malformed or expired; false when STS
	// rejected its signature (or could not be reached).
	Format bool
	Reason string
}

func (e *TokenError) Error() string {
	if e.Format {
		return "input token was not properly formatted: " + e.Reason
	}
	return "sts getCallerIdentity failed: " + e.Reason
}

// VerifyToken checks an EKS bearer token for cluster the way aws-iam-authenticator does:
// it decodes the presigned sts:GetCallerIdentity URL, checks its host, parameters, signed
// cluster header and age, then replays it against the simulator's STS with the
// x-k8s-aws-id header set to cluster. STS checks the signature, so a token made for
// another cluster, or with a wrong key, fails there.
func (s *Server) VerifyToken(ctx context.Context, cluster, token string) (Identity, error) {
	u, accessKeyID, err := s.checkTokenFormat(token)
	if err != nil {
		return Identity{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Identity{}, &TokenError{Reason: err.Error()}
	}
	req.Header.Set(ClusterIDHeader, cluster)
	req.Header.Set("Accept", "application/json")
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL holds the signature; leave it out
		}
		return Identity{}, &TokenError{Reason: "error during GET: " + err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return Identity{}, &TokenError{Reason: "error reading HTTP result: " + err.Error()}
	}
	if resp.StatusCode != http.StatusOK {
		return Identity{}, &TokenError{Reason: fmt.Sprintf("error from AWS (expected 200, got %d). Body: %s", resp.StatusCode, body)}
	}
	var out struct {
		GetCallerIdentityResponse struct {
			GetCallerIdentityResult callerIdentityResult
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return Identity{}, &TokenError{Reason: err.Error()}
	}
	r := out.GetCallerIdentityResponse.GetCallerIdentityResult
	canonical, err := CanonicalARN(r.Arn)
	if err != nil {
		return Identity{}, &TokenError{Reason: err.Error()}
	}
	id := Identity{ARN: r.Arn, CanonicalARN: canonical, Account: r.Account, AccessKeyID: accessKeyID}
	id.UserID, id.SessionName, _ = strings.Cut(r.UserID, ":")
	return id, nil
}

// checkTokenFormat decodes a token and checks everything that needs no call to STS.
func (s *Server) checkTokenFormat(token string) (*url.URL, string, error) {
	bad := func(format string, args ...any) (*url.URL, string, error) {
		return nil, "", &TokenError{Format: true, Reason: fmt.Sprintf(format, args...)}
	}
	if len(token) > maxTokenLen {
		return bad("token is too large")
	}
	encoded, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return bad("token is missing expected %q prefix", TokenPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return bad("%v", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return bad("malformed URL")
	}
	sim, err := url.Parse(s.URL())
	if err != nil {
		return bad("simulator URL: %v", err)
	}
	if u.Scheme != "https" {
		return bad("unexpected scheme %q in pre-signed URL", u.Scheme)
	}
	if u.Host != sim.Host {
		return bad("unexpected hostname %q in pre-signed URL", u.Host)
	}
	if u.Path != "/" {
		return bad("unexpected path in pre-signed URL")
	}
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return bad("malformed query parameter")
	}
	lower := url.Values{}
	for k, v := range query {
		if !allowedTokenParams[strings.ToLower(k)] {
			return bad("non-whitelisted query parameter %q", k)
		}
		if len(v) != 1 {
			return bad("query parameter with multiple values not supported")
		}
		lower.Set(strings.ToLower(k), v[0])
	}
	if lower.Get("action") != "GetCallerIdentity" {
		return bad("unexpected action parameter in pre-signed URL")
	}
	signed := strings.Split(lower.Get("x-amz-signedheaders"), ";")
	if !containsFold(signed, ClusterIDHeader) {
		return bad("client did not sign the %s header in the pre-signed URL", ClusterIDHeader)
	}
	expires, err := strconv.Atoi(lower.Get("x-amz-expires"))
	if err != nil || expires < 0 || expires > 900 {
		return bad("invalid X-Amz-Expires parameter in pre-signed URL: %q", lower.Get("x-amz-expires"))
	}
	date, err := time.Parse(amzDateFormat, lower.Get("x-amz-date"))
	if err != nil {
		return bad("X-Amz-Date parameter must be present in pre-signed URL as yyyymmddThhmmssZ")
	}
	if s.now().After(date.Add(tokenLifetime)) {
		return bad("X-Amz-Date parameter is expired (15 minute expiration) %s", date)
	}
	keyID, _, _ := strings.Cut(lower.Get("x-amz-credential"), "/")
	return u, keyID, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
