package chart

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// knownHosts is a RegistryAuth that knows some hosts and records what it is asked.
type knownHosts struct {
	creds map[string][2]string

	mu    sync.Mutex
	asked []string
}

func (k *knownHosts) Credentials(_ context.Context, host string) (string, string, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.asked = append(k.asked, host)
	c, ok := k.creds[host]
	return c[0], c[1], ok, nil
}

func (k *knownHosts) Refused(_ context.Context, host, repository string, status int) string {
	if _, ok := k.creds[host]; !ok {
		return ""
	}
	return "the known host refused " + repository
}

// withBasicAuth puts HTTP basic auth for user:password in front of the registry.
func withBasicAuth(reg *ociRegistry, user, password string) {
	app := reg.srv.Config.Handler
	reg.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("Www-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		app.ServeHTTP(w, r)
	})
}

func TestRegistryAuthFirstThenStoredCredentials(t *testing.T) {
	reg := newOCIRegistry(t)
	reg.push(t, "charts", "alpha", "1.0.0")
	withBasicAuth(reg, "robot", "stored-password")
	ref := "oci://" + reg.host + "/charts/alpha"

	// `helm registry login` left credentials for the host in Helm's configuration.
	config := t.TempDir()
	t.Setenv("HELM_CONFIG_HOME", config)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	auth := base64.StdEncoding.EncodeToString([]byte("robot:stored-password"))
	if err := os.MkdirAll(filepath.Join(config, "registry"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(config, "registry", "config.json"),
		[]byte(`{"auths":{"`+reg.host+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("a host it does not know gets the stored credentials", func(t *testing.T) {
		ra := &knownHosts{}
		got, err := NewLoader(Options{CacheDir: t.TempDir(), PlainHTTP: true, RegistryAuth: ra}).Load(t.Context(), ref, "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != "1.0.0" || len(ra.asked) == 0 || ra.asked[0] != reg.host {
			t.Errorf("loaded %s, asked %v; want 1.0.0 after asking for %s", got.Version, ra.asked, reg.host)
		}
	})
	t.Run("a host it knows gets its credentials, not the stored ones", func(t *testing.T) {
		ra := &knownHosts{creds: map[string][2]string{reg.host: {"robot", "wrong-password"}}}
		_, err := NewLoader(Options{CacheDir: t.TempDir(), PlainHTTP: true, RegistryAuth: ra}).Load(t.Context(), ref, "1.0.0")
		var fe *FetchError
		if !errors.As(err, &fe) || fe.StatusCode != http.StatusUnauthorized || !strings.HasSuffix(err.Error(), "(the known host refused charts/alpha)") {
			t.Fatalf("err = %v, want a 401 *FetchError with the RegistryAuth's hint", err)
		}
	})
}
