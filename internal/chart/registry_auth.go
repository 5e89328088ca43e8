package chart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"helm.sh/helm/v4/pkg/helmpath"
	"helm.sh/helm/v4/pkg/registry"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
)

// RegistryAuth gives a Loader the credentials of some OCI registries, such as those of Amazon
// ECR, in memory. Registries it does not know get the credentials of `helm registry login`
// and Docker, as in Helm.
type RegistryAuth interface {
	// Credentials returns the user name and password for host (host[:port], as in the chart
	// reference). Both are empty for anonymous access. ok is false when host is not one of
	// its registries; err is why the credentials of one of them could not be had.
	Credentials(ctx context.Context, host string) (username, password string, ok bool, err error)
	// Refused says what to check when host, one of its registries, answers status (401 or
	// 403) for repository (the path after the host); empty when host is not one of its
	// registries.
	Refused(ctx context.Context, host, repository string, status int) string
}

// RegistryAuthError is a registry whose credentials the RegistryAuth could not give.
type RegistryAuthError struct {
	// Host is the registry host, as in the chart reference.
	Host string
	// Err says why; it says what to do.
	Err error
}

func (e *RegistryAuthError) Error() string {
	return fmt.Sprintf("credentials for registry %s: %v", e.Host, e.Err)
}

func (e *RegistryAuthError) Unwrap() error { return e.Err }

// newRegistryClient builds the default registry client: Helm's, whose credentials come from
// opts.RegistryAuth first, then from the files of `helm registry login` and Docker.
func newRegistryClient(opts Options) (*registry.Client, error) {
	clientOpts := []registry.ClientOption{
		registry.ClientOptWriter(io.Discard),
		registry.ClientOptEnableCache(true),
	}
	httpClient := opts.HTTPClient
	if httpClient != nil {
		clientOpts = append(clientOpts, registry.ClientOptHTTPClient(httpClient))
	}
	if opts.PlainHTTP {
		clientOpts = append(clientOpts, registry.ClientOptPlainHTTP())
	}
	if opts.RegistryAuth != nil {
		if httpClient == nil {
			httpClient = &http.Client{Transport: registry.NewTransport(false)}
		}
		stored, err := storedCredentials()
		if err != nil {
			return nil, err
		}
		clientOpts = append(clientOpts, registry.ClientOptAuthorizer(auth.Client{
			Client:     httpClient,
			Cache:      auth.NewCache(),
			Credential: credentialFunc(opts.RegistryAuth, stored),
		}))
	}
	return registry.NewClient(clientOpts...)
}

// storedCredentials is the store Helm's registry client reads: the file of `helm registry
// login`, then Docker's configuration (and the credential helpers it names). Nothing is
// written to it.
func storedCredentials() (credentials.Store, error) {
	storeOpts := credentials.StoreOptions{DetectDefaultNativeStore: true}
	helmStore, err := credentials.NewStore(helmpath.ConfigPath(registry.CredentialsFileBasename), storeOpts)
	if err != nil {
		return nil, fmt.Errorf("read the registry credentials of `helm registry login` (check %s): %w",
			helmpath.ConfigPath(registry.CredentialsFileBasename), err)
	}
	dockerStore, err := credentials.NewStoreFromDocker(storeOpts)
	if err != nil {
		// Only without a home directory; Helm then reads its own file alone.
		return helmStore, nil
	}
	return credentials.NewStoreWithFallbacks(helmStore, dockerStore), nil
}

// credentialFunc asks ra first, and the stored credentials for the hosts ra does not know.
func credentialFunc(ra RegistryAuth, stored credentials.Store) auth.CredentialFunc {
	fallback := credentials.Credential(stored)
	return func(ctx context.Context, hostport string) (auth.Credential, error) {
		user, pass, ok, err := ra.Credentials(ctx, hostport)
		switch {
		case err != nil:
			return auth.EmptyCredential, &RegistryAuthError{Host: hostport, Err: err}
		case !ok:
			return fallback(ctx, hostport)
		case user == "" && pass == "":
			return auth.EmptyCredential, nil
		}
		return auth.Credential{Username: user, Password: pass}, nil
	}
}

// refusedHint is what the RegistryAuth says about a 401 or 403 from the host of repository
// (host/path), or empty.
func (l *Loader) refusedHint(ctx context.Context, repository string, status int) string {
	ra := l.regOpts.RegistryAuth
	if ra == nil || l.regOpts.RegistryClient != nil || (status != http.StatusUnauthorized && status != http.StatusForbidden) {
		return ""
	}
	host, path, _ := strings.Cut(repository, "/")
	return ra.Refused(ctx, host, path, status)
}

// asRegistryAuthError finds a *RegistryAuthError in err.
func asRegistryAuthError(err error) (*RegistryAuthError, bool) {
	var rae *RegistryAuthError
	ok := errors.As(err, &rae)
	return rae, ok
}
