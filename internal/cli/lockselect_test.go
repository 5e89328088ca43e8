package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/cli"
)

// kaji.lock covers the selection: a plan or apply of some releases needs kaji.lock to pin
// them (and what they need), not the others, which validation still checks; --lock=update
// pins the selection alone.
func TestLockCoversTheSelection(t *testing.T) {
	env.Require(t)
	ns := env.Namespace(t)
	r := newGreeterRepo(t)
	r.publish(t, "1.0.0", "one")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("CI", "")
	release := func(name string, needs string) string {
		return fmt.Sprintf("  - name: %s\n    namespace: %s\n    chart: stable/greeter\n    version: \"~1.0\"\n%s", name, ns, needs)
	}
	head := fmt.Sprintf("apiVersion: kaji.dev/v1alpha1\nproject: %s\nrepositories:\n  stable: %s\nreleases:\n", ns, r.url)
	path := filepath.Join(t.TempDir(), "kaji.yaml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(head+body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(release("db", "") + release("api", "    needs: [db]\n"))
	if res := kaji(t, "", false, "lock", "-f", path); res.code != 0 {
		t.Fatalf("kaji lock: exit %d\n%s%s", res.code, res.out, res.err)
	}
	// web comes after kaji lock: kaji.lock does not pin it.
	write(release("db", "") + release("api", "    needs: [db]\n") + release("web", ""))
	lockBefore := readLock(t, path)
	flags := []string{"-f", path, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName, "--lock-namespace", ns}

	for _, args := range [][]string{{"plan"}, {"plan", "web"}, {"apply", "web", "--yes"}} {
		res := kaji(t, "", false, append(args, flags...)...)
		if res.code != cli.ExitError || !strings.Contains(res.out+res.err, "release web is not in kaji.lock") {
			t.Errorf("%v: exit %d; want it to say that kaji.lock lacks web\n%s%s", args, res.code, res.out, res.err)
		}
	}
	for _, args := range [][]string{{"plan", "api"}, {"plan", "--lock=update", "api"}, {"apply", "api", "--yes"}} {
		res := kaji(t, "", false, append(args, flags...)...)
		if res.code != cli.ExitOK {
			t.Errorf("%v: exit %d; want a run of api and db, which kaji.lock pins\n%s%s", args, res.code, res.out, res.err)
		}
	}
	if got := readLock(t, path); got != lockBefore {
		t.Errorf("a run of api changed kaji.lock:\n%s\nwas:\n%s", got, lockBefore)
	}
	for name, want := range map[string]bool{"db": true, "api": true, "web": false} {
		_, err := env.Client.CoreV1().ConfigMaps(ns).Get(t.Context(), name, metav1.GetOptions{})
		if (err == nil) != want {
			t.Errorf("ConfigMap %s: %v; want installed %v", name, err, want)
		}
	}
}
