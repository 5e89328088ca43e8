package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/lock"
)

// A release upgraded twelve times: Helm's storage lists its revisions in the order of their
// Secrets' names (v10, v11, v12, v3 … v9 once the oldest two are trimmed), so that the last one
// listed is revision 9, not 12. Every command must read revision 12 as the latest.
func TestReleaseWithMoreThanTenRevisions(t *testing.T) {
	ns := env.Namespace(t)
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "kaji.yaml")
	write := func(level string) {
		body := fmt.Sprintf(`apiVersion: kaji.dev/v1alpha1
project: %[1]s
releases:
  - name: settings
    namespace: %[1]s
    chart: %[2]s/settings
    values: {logLevel: %[3]s}
`, ns, charts, level)
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flags := []string{"-f", file, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName, "--lock-namespace", ns}
	for i := 1; i <= 12; i++ {
		write(fmt.Sprintf("level-%d", i))
		if r := kaji(t, "", false, append([]string{"apply", "--yes"}, flags...)...); r.code != 0 {
			t.Fatalf("apply %d: exit %d\n%s%s", i, r.code, r.out, r.err)
		}
	}
	store := helmStore(env, ns)
	if got := latest(t, store, "settings"); got != (revision{12, "deployed"}) {
		t.Fatalf("after twelve applies: %+v, want revision 12 deployed", got)
	}
	// maxHistory defaults to 10, as the Helm CLI's --history-max: revisions 1 and 2 are gone.
	if n := revisions(t, env, ns); n != 10 {
		t.Errorf("%d stored revisions, want 10 (maxHistory's default)", n)
	}

	r := kaji(t, "", false, append([]string{"plan", "--detailed-exitcode"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.out, "revision 12") {
		t.Errorf("plan after twelve applies: exit %d, want 0 and in sync at revision 12\n%s%s", r.code, r.out, r.err)
	}
	r = kaji(t, "", false, append([]string{"status", "-o", "json"}, flags...)...)
	var status struct {
		Releases []struct {
			Name     string `json:"name"`
			Revision int    `json:"revision"`
			Status   string `json:"status"`
		} `json:"releases"`
	}
	if err := json.Unmarshal([]byte(r.out), &status); err != nil || r.code != 0 || len(status.Releases) != 1 ||
		status.Releases[0].Revision != 12 || status.Releases[0].Status != "deployed" {
		t.Errorf("status: exit %d, %v, want revision 12 deployed\n%s%s", r.code, err, r.out, r.err)
	}

	// An interrupted upgrade leaves revision 13 pending: unlock must find it.
	leavePendingUpgrade(t, env, ns, "settings")
	r = kaji(t, "", false, append([]string{"unlock", "settings", "--yes"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.out, "revision 13 was pending-upgrade") {
		t.Fatalf("unlock of a pending revision 13: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := latest(t, store, "settings"); got != (revision{13, "failed"}) {
		t.Errorf("after unlock: %+v, want revision 13 failed", got)
	}

	// A kaji run that stopped mid-upgrade leaves revision 14 pending and recorded in the lock:
	// the next apply recovers it by itself.
	write("level-14")
	leavePendingUpgrade(t, env, ns, "settings")
	leaveFlight(t, ns, lock.Flight{Namespace: ns, Name: "settings", Revision: 14})
	r = kaji(t, "", false, append([]string{"apply", "--yes"}, flags...)...)
	if r.code != 0 || !strings.Contains(r.out, "revision 15") {
		t.Fatalf("apply recovering pending revision 14: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got := latest(t, store, "settings"); got != (revision{15, "deployed"}) {
		t.Errorf("after the recovering apply: %+v, want revision 15 deployed", got)
	}
	if r := kaji(t, "", false, append([]string{"plan", "--detailed-exitcode"}, flags...)...); r.code != 0 {
		t.Errorf("plan after recovery: exit %d, want 0 (in sync)\n%s%s", r.code, r.out, r.err)
	}
}

// leaveFlight writes the project lock of project ns, free, with flight recorded in it: what a
// kaji apply that was killed while it upgraded that revision leaves once its lease expired.
func leaveFlight(t *testing.T, ns string, flight lock.Flight) {
	t.Helper()
	flights, err := json.Marshal([]lock.Flight{flight})
	if err != nil {
		t.Fatal(err)
	}
	leases := env.Client.CoordinationV1().Leases(ns)
	lease, err := leases.Get(t.Context(), lock.Name(ns), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err) // every apply before took the lock, and left the lease behind
	}
	if lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity != "" {
		t.Fatalf("the project lock is held: %s", *lease.Spec.HolderIdentity)
	}
	if lease.Annotations == nil {
		lease.Annotations = map[string]string{}
	}
	lease.Annotations[lock.FlightsAnnotation] = string(flights)
	if _, err := leases.Update(t.Context(), lease, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A declared release that another kaji project owns, or that helm made, is left alone by apply
// and destroy; apply --adopt takes it over.
func TestApplyAdoptsOnlyWithAdopt(t *testing.T) {
	ns := env.Namespace(t)
	file := crashProject(t, t.TempDir(), "kaji.yaml", ns, false)
	other := strings.Replace(readFile(t, file), "project: "+ns, "project: other-"+ns, 1)
	otherFile := filepath.Join(t.TempDir(), "kaji.yaml")
	if err := os.WriteFile(otherFile, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName, "--lock-namespace", ns}
	if r := kaji(t, "", false, append([]string{"apply", "--yes", "-f", otherFile}, flags...)...); r.code != 0 {
		t.Fatalf("apply of the other project: exit %d\n%s%s", r.code, r.out, r.err)
	}

	r := kaji(t, "", false, append([]string{"plan", "--detailed-exitcode", "-f", file}, flags...)...)
	if r.code != 2 || !strings.Contains(r.out, fmt.Sprintf(`owned by kaji project "other-%s"`, ns)) || !strings.Contains(r.out, "--adopt") {
		t.Errorf("plan of another project's releases: exit %d, want 2 and the owner\n%s%s", r.code, r.out, r.err)
	}
	r = kaji(t, "", false, append([]string{"apply", "--yes", "-f", file}, flags...)...)
	if r.code != 1 || !strings.Contains(r.out+r.err, "unless --adopt") {
		t.Errorf("apply over another project's releases: exit %d, want 1 saying --adopt\n%s%s", r.code, r.out, r.err)
	}
	if strings.Contains(r.out+r.err, "kaji unlock") {
		t.Errorf("apply's advice for releases it may not adopt is unlock's:\n%s%s", r.out, r.err)
	}
	r = kaji(t, "", false, append([]string{"destroy", "--yes", "-f", file}, flags...)...)
	if r.code != 1 || !strings.Contains(r.out+r.err, "not project") {
		t.Errorf("destroy of another project's releases: exit %d, want 1\n%s%s", r.code, r.out, r.err)
	}
	store := helmStore(env, ns)
	for _, name := range []string{"settings", "web", "api"} {
		if got := latest(t, store, name); got != (revision{1, "deployed"}) {
			t.Errorf("%s after the refused apply and destroy: %+v, want revision 1 deployed", name, got)
		}
	}

	r = kaji(t, "", false, append([]string{"apply", "--yes", "--adopt", "-f", file}, flags...)...)
	if r.code != 0 {
		t.Fatalf("apply --adopt: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := kaji(t, "", false, append([]string{"plan", "--detailed-exitcode", "-f", file}, flags...)...); r.code != 0 {
		t.Errorf("plan after adopting: exit %d, want 0\n%s%s", r.code, r.out, r.err)
	}
	if r := kaji(t, "", false, append([]string{"destroy", "--yes", "-f", otherFile}, flags...)...); r.code != 1 {
		t.Errorf("the other project destroys what was adopted from it: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
