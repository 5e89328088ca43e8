package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
)

// liveDigest is the digest writeLive gives one object.
func liveDigest(ref ObjectRef, obj map[string]any, rv string, sensitive func(string) bool) string {
	h := sha256.New()
	writeLive(h, ref, obj, rv, sensitive)
	return hex.EncodeToString(h.Sum(nil))
}

// A saved plan's digest of a live object that holds a secret cannot confirm a guess of it:
// a Secret, or an object that holds one of the run's secrets, is hashed by its
// resourceVersion, which still changes with every write. Any other object by its content.
func TestWriteLiveHidesSecrets(t *testing.T) {
	secret := ObjectRef{Version: "v1", Kind: "Secret", Namespace: "ns", Name: "db"}
	configMap := ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "app"}
	holds := func(s string) bool { return strings.Contains(s, "s3cret-") }
	data := func(v string) map[string]any {
		return map[string]any{"apiVersion": "v1", "kind": "X", "data": map[string]any{"password": v}}
	}
	for _, c := range []struct {
		name string
		ref  ObjectRef
		a, b string
	}{
		{"a Secret", secret, "cGFzc3dvcmQx", "cGFzc3dvcmQy"},
		{"a ConfigMap that holds a secret", configMap, "s3cret-one", "s3cret-two"},
	} {
		if liveDigest(c.ref, data(c.a), "7", holds) != liveDigest(c.ref, data(c.b), "7", holds) {
			t.Errorf("%s: the digest depends on what it holds", c.name)
		}
		if liveDigest(c.ref, data(c.a), "7", holds) == liveDigest(c.ref, data(c.a), "8", holds) {
			t.Errorf("%s: a new resourceVersion does not change the digest", c.name)
		}
	}
	if liveDigest(configMap, data("plain-one"), "7", holds) == liveDigest(configMap, data("plain-two"), "7", holds) {
		t.Error("a ConfigMap without secrets: its content does not change the digest")
	}
	if liveDigest(configMap, data("plain-one"), "7", holds) != liveDigest(configMap, data("plain-one"), "8", holds) {
		t.Error("a ConfigMap without secrets: a new resourceVersion alone changes the digest (status writes would make saved plans stale)")
	}
	if liveDigest(configMap, data("s3cret-one"), "7", nil) == liveDigest(configMap, data("s3cret-two"), "7", nil) {
		t.Error("with no secrets known, a ConfigMap's content does not change the digest")
	}
}

// What apply installs depends on the cluster's version and APIs as much as on the chart and
// values: the digest covers them, in any order the discovery gives.
func TestDesiredDigestCoversCapabilities(t *testing.T) {
	ch := &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "app", Version: "1.0.0", APIVersion: "v2"}}
	vals := map[string]any{"replicas": 2}
	caps := func(version string, apis ...string) *chartcommon.Capabilities {
		return &chartcommon.Capabilities{KubeVersion: chartcommon.KubeVersion{Version: version}, APIVersions: apis}
	}
	base := desiredDigest(ch, vals, caps("v1.33.0", "v1", "apps/v1"))
	if got := desiredDigest(ch, vals, caps("v1.33.0", "apps/v1", "v1")); got != base {
		t.Error("the order of the API versions changes the digest")
	}
	for name, c := range map[string]*chartcommon.Capabilities{
		"another Kubernetes version": caps("v1.34.0", "v1", "apps/v1"),
		"another API":                caps("v1.33.0", "v1", "apps/v1", "monitoring.coreos.com/v1"),
	} {
		if desiredDigest(ch, vals, c) == base {
			t.Errorf("%s does not change the digest", name)
		}
	}
	if desiredDigest(ch, map[string]any{"replicas": 3}, caps("v1.33.0", "v1", "apps/v1")) == base {
		t.Error("other values do not change the digest")
	}
}
