package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// Auth gives the credentials of ECR registries: a token of ecr:GetAuthorizationToken for a
// private registry, asked once per registry host (and again only if it expires) and kept in
// memory; anonymous access for Amazon ECR Public. Create one per run. It is safe for
// concurrent use.
type Auth struct {
	config func(context.Context) (aws.Config, error)
	now    func() time.Time

	mu     sync.Mutex
	tokens map[string]*token // by registry host
	cfgMu  sync.Mutex
	cfg    *aws.Config // the first configuration config returned
	caller *callerOnce
}

// Options change how Auth works. The zero value is right for the CLI.
type Options struct {
	// Now is the clock that decides whether a token has expired; nil is time.Now.
	Now func() time.Time
}

// NewAuth returns an Auth whose AWS calls use the configuration config returns. config is
// called only when a private ECR registry asks for credentials, so that a run without ECR
// charts makes no AWS call.
func NewAuth(config func(context.Context) (aws.Config, error), opts Options) *Auth {
	a := &Auth{config: config, now: opts.Now, tokens: map[string]*token{}, caller: &callerOnce{}}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// token is the credentials of one registry host, or why there are none.
type token struct {
	mu       sync.Mutex
	user     string
	password string
	expires  time.Time
	err      error
}

// refreshWindow is how long before it expires a token is asked for again. Tokens last 12
// hours; a run that long is unlikely.
const refreshWindow = 5 * time.Minute

// Credentials returns the user name and password for host: a token for a private ECR
// registry, empty ones (anonymous) for Amazon ECR Public, and ok=false for other hosts.
func (a *Auth) Credentials(ctx context.Context, host string) (username, password string, ok bool, err error) {
	if IsPublic(host) {
		return "", "", true, nil
	}
	r, ok := ParseHost(host)
	if !ok {
		return "", "", false, nil
	}
	a.mu.Lock()
	t := a.tokens[r.Host]
	if t == nil {
		t = &token{}
		a.tokens[r.Host] = t
	}
	a.mu.Unlock()

	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.err != nil:
		return "", "", true, t.err
	case t.password != "" && a.now().Add(refreshWindow).Before(t.expires):
		return t.user, t.password, true, nil
	}
	user, pass, expires, err := a.fetch(ctx, r)
	if err != nil {
		if ctx.Err() == nil { // the run fails on it: it is not asked for again
			t.err = err
		}
		return "", "", true, err
	}
	t.user, t.password, t.expires = user, pass, expires
	return user, pass, true, nil
}

// awsConfig is the AWS configuration of the run, made once.
func (a *Auth) awsConfig(ctx context.Context) (aws.Config, error) {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	if a.cfg != nil {
		return *a.cfg, nil
	}
	cfg, err := a.config(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	a.cfg = &cfg
	return cfg, nil
}

// fetch asks ecr:GetAuthorizationToken in r's region and decodes the token.
func (a *Auth) fetch(ctx context.Context, r Registry) (user, password string, expires time.Time, err error) {
	cfg, err := a.awsConfig(ctx)
	if err != nil {
		return "", "", time.Time{}, &Error{Host: r.Host, Err: err}
	}
	client := ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		o.Region = r.Region
		if r.FIPS {
			o.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled
		}
	})
	out, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return "", "", time.Time{}, a.tokenError(ctx, cfg, r, err)
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return "", "", time.Time{}, &Error{Host: r.Host, Err: errors.New("the answer of ecr:GetAuthorizationToken holds no token"),
			Fix: "try again; if it persists, check AWS_ENDPOINT_URL_ECR or the ECR endpoint kaji talks to"}
	}
	data := out.AuthorizationData[0]
	user, password, err = decodeToken(aws.ToString(data.AuthorizationToken))
	if err != nil {
		return "", "", time.Time{}, &Error{Host: r.Host, Err: err,
			Fix: "check AWS_ENDPOINT_URL_ECR or the ECR endpoint kaji talks to"}
	}
	expires = a.now().Add(time.Hour) // when the answer does not say, a short life
	if data.ExpiresAt != nil {
		expires = *data.ExpiresAt
	}
	return user, password, expires, nil
}

// decodeToken splits a token, base64 of "user:password" (the user is AWS). Errors never
// quote the token.
func decodeToken(tok string) (user, password string, err error) {
	raw, err := base64.StdEncoding.DecodeString(tok)
	if err != nil {
		return "", "", errors.New("the ECR token is not base64 of user:password")
	}
	user, password, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || password == "" {
		return "", "", errors.New("the ECR token is not base64 of user:password")
	}
	return user, password, nil
}
