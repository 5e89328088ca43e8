package eks

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

const (
	// TokenPrefix starts every EKS bearer token.
	TokenPrefix = "k8s-aws-v1."
	// ClusterIDHeader is the header, signed into the token, that names the cluster.
	ClusterIDHeader = "x-k8s-aws-id"
	// presignExpires is the X-Amz-Expires aws-iam-authenticator sets. STS ignores it for
	// GetCallerIdentity and honours the URL for TokenLifetime after it was signed.
	presignExpires = "60"
	// TokenLifetime is how long EKS accepts a token after it was signed.
	TokenLifetime = 15 * time.Minute
	// refreshMargin is how long before the end of its life a token is replaced.
	refreshMargin = time.Minute
)

// Token is an EKS bearer token. Printing it shows no secret.
type Token struct {
	value string
	// SignedAt is when the token was signed.
	SignedAt time.Time
	// Expiry is when the token stops being used: a minute before EKS would stop accepting
	// it, or before the credentials that signed it expire, whichever is first.
	Expiry time.Time
}

// Value is the bearer token itself. Do not log it.
func (t Token) Value() string { return t.value }

func (t Token) String() string { return TokenPrefix + "<redacted>" }

// GoString keeps %#v from printing the token.
func (t Token) GoString() string {
	return fmt.Sprintf("eks.Token{SignedAt: %s, Expiry: %s}", t.SignedAt.Format(time.RFC3339), t.Expiry.Format(time.RFC3339))
}

// TokenSource makes EKS bearer tokens in process, as `aws eks get-token` does: a
// presigned sts:GetCallerIdentity URL with the cluster name in a signed x-k8s-aws-id
// header, base64url-encoded without padding and prefixed k8s-aws-v1. It caches a token
// until shortly before it expires. It is safe for concurrent use.
type TokenSource struct {
	cluster string
	cfg     aws.Config
	now     func() time.Time

	mu  sync.Mutex
	cur Token
}

// NewTokenSource makes tokens for cluster with cfg's credentials and region. now is the
// clock that signs tokens and decides when to replace them; nil means time.Now.
func NewTokenSource(cfg aws.Config, cluster string, now func() time.Time) *TokenSource {
	if now == nil {
		now = time.Now
	}
	return &TokenSource{cluster: cluster, cfg: cfg, now: now}
}

// Token returns the cached token, or signs a new one when it is missing or due.
func (s *TokenSource) Token(ctx context.Context) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.value != "" && s.now().Before(s.cur.Expiry) {
		return s.cur, nil
	}
	t, err := s.sign(ctx)
	if err != nil {
		return Token{}, err
	}
	s.cur = t
	return t, nil
}

// Invalidate drops t if it is the cached token, so that the next call signs a new one. The
// transport calls it when the API server answers 401.
func (s *TokenSource) Invalidate(t Token) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.value == t.value {
		s.cur = Token{}
	}
}

func (s *TokenSource) sign(ctx context.Context) (Token, error) {
	what := fmt.Sprintf("make a token for EKS cluster %q", s.cluster)
	if s.cfg.Credentials == nil {
		return Token{}, &Error{Step: StepToken, Kind: KindNoCredentials, What: what, Err: fmt.Errorf("no credentials")}
	}
	creds, err := s.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		k := awsKind(err)
		return Token{}, &Error{Step: StepToken, Kind: k, What: what, Err: err, Fix: credentialFix(k)}
	}
	signedAt := s.now().UTC()
	client := sts.NewPresignClient(sts.NewFromConfig(s.cfg, func(o *sts.Options) {
		// Sign with exactly the credentials whose expiry bounds the token.
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
	}))
	req, err := client.PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}, func(o *sts.PresignOptions) {
		o.Presigner = clockedPresigner{signer: v4.NewSigner(), at: signedAt}
		o.ClientOptions = append(o.ClientOptions, func(so *sts.Options) {
			so.APIOptions = append(so.APIOptions,
				smithyhttp.SetHeaderValue(ClusterIDHeader, s.cluster),
				smithyhttp.SetHeaderValue("X-Amz-Expires", presignExpires),
			)
		})
	})
	if err != nil {
		return Token{}, &Error{Step: StepToken, Kind: KindOther, What: what, Err: err}
	}
	expiry := signedAt.Add(TokenLifetime)
	if creds.CanExpire && creds.Expires.Before(expiry) {
		expiry = creds.Expires
	}
	return Token{
		value:    TokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(req.URL)),
		SignedAt: signedAt,
		Expiry:   expiry.Add(-refreshMargin),
	}, nil
}

// clockedPresigner signs at a time of the TokenSource's clock rather than the SDK's.
type clockedPresigner struct {
	signer *v4.Signer
	at     time.Time
}

func (p clockedPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return p.signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, p.at, optFns...)
}
