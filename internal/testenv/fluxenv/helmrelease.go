package fluxenv

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"kaji.dev/kaji/internal/testenv"
)

// readyTimeout bounds WaitReady: fetching a chart and a Helm upgrade take seconds, on a busy
// two-core machine some more.
const readyTimeout = 3 * time.Minute

// HelmReleases is the resource of Flux's HelmRelease API that kaji exports.
var HelmReleases = schema.GroupVersionResource{Group: "helm.toolkit.fluxcd.io", Version: "v2", Resource: "helmreleases"}

// Apply applies the directory that `kaji export flux` wrote, with `kubectl apply -k DIR`: what
// docs/gitops.md tells a user to do when Flux does not read it from Git.
func (f *Flux) Apply(t *testing.T, dir string) {
	t.Helper()
	kubectl, err := testenv.Binary("kubectl")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), kubectl, "--kubeconfig", f.env.KubeconfigPath, "apply", "-k", dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply -k %s: %v\n%s", dir, err, out)
	}
}

// HelmRelease returns the HelmRelease name of the test's Flux namespace.
func (f *Flux) HelmRelease(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	u, err := f.dyn.Resource(HelmReleases).Namespace(f.Namespace).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get HelmRelease %s: %v", name, err)
	}
	return u
}

// WaitReady waits until each named HelmRelease of the test's Flux namespace is Ready for its
// current generation: helm-controller reconciled the spec as it now is, and the release is
// deployed. It polls, up to readyTimeout, and fails t sooner when a controller stops.
func (f *Flux) WaitReady(t *testing.T, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	for _, name := range names {
		if err := f.waitReady(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *Flux) waitReady(ctx context.Context, name string) error {
	client := f.dyn.Resource(HelmReleases).Namespace(f.Namespace)
	last := "not found"
	for {
		if err := f.exited(); err != nil {
			return fmt.Errorf("HelmRelease %s: %w", name, err)
		}
		u, err := client.Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			ok, state := ready(u)
			if ok {
				return nil
			}
			last = state
		case ctx.Err() == nil:
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("HelmRelease %s/%s not ready after %s: %s", f.Namespace, name, readyTimeout, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// ready reports whether a HelmRelease's Ready condition is True for its generation, and
// otherwise says where it stands.
func ready(u *unstructured.Unstructured) (bool, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var states []string
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		typ, _ := m["type"].(string)
		status, _ := m["status"].(string)
		reason, _ := m["reason"].(string)
		msg, _ := m["message"].(string)
		gen, _, _ := unstructured.NestedInt64(m, "observedGeneration")
		if typ == "Ready" && status == "True" && gen == u.GetGeneration() {
			return true, ""
		}
		states = append(states, fmt.Sprintf("%s=%s (%s, generation %d of %d): %s", typ, status, reason, gen, u.GetGeneration(), msg))
	}
	if len(states) == 0 {
		return false, "no conditions yet"
	}
	return false, strings.Join(states, "; ")
}
