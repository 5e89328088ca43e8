package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rspb "helm.sh/helm/v4/pkg/release/v1"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/testenv/faultproxy"
)

// These tests run kaji through a proxy in front of the API server that throttles, fails,
// resets and stalls the requests its rules pick (internal/testenv/faultproxy).

// noteProject writes a kaji.yaml of n releases of the note chart (one ConfigMap each) in a
// fresh namespace, which is also the project's name; release i needs release i-5. It returns
// the file and the namespace.
func noteProject(t *testing.T, n int, text string) (file, ns string) {
	t.Helper()
	ns = env.Namespace(t)
	file = filepath.Join(t.TempDir(), "kaji.yaml")
	writeNoteProject(t, file, ns, n, text)
	return file, ns
}

func writeNoteProject(t *testing.T, file, ns string, n int, text string) {
	t.Helper()
	chart, err := filepath.Abs("testdata/faults/charts/note")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kaji.dev/v1alpha1\nproject: %s\nreleases:\n", ns)
	for i := range n {
		needs := ""
		if i >= 5 {
			needs = fmt.Sprintf(", needs: [n%02d]", i-5)
		}
		fmt.Fprintf(&b, "  - {name: n%02d, namespace: %s, chart: %s, values: {text: %q}%s}\n", i, ns, chart, text, needs)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// viaProxy runs kaji in-process against the API server through p, with the project lock in
// ns and a short lease; reg, when not nil, holds the run's secrets.
func viaProxy(t *testing.T, p *faultproxy.Proxy, ns string, reg *secrets.Registry, args ...string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	all := append(args, "--kubeconfig", p.KubeconfigPath, "--kube-context", faultproxy.ContextName)
	if args[0] == "apply" {
		all = append(all, "--lock-namespace", ns, "--lock-lease", "3s")
	}
	var out, errOut bytes.Buffer
	code := cli.Main(ctx, all, cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut, Secrets: reg})
	if ctx.Err() != nil {
		t.Fatalf("kaji %s did not end within 3 minutes:\n%s%s", strings.Join(args, " "), out.String(), errOut.String())
	}
	return run{code: code, out: out.String(), err: errOut.String()}
}

// wantHits fails t unless the fault was dealt at least once: a fault that never happened
// shows nothing.
func wantHits(t *testing.T, what string, in *faultproxy.Injection, atLeast int) {
	t.Helper()
	if n := in.Hits(); n < atLeast {
		t.Errorf("%s: the proxy dealt it %d times, want at least %d", what, n, atLeast)
	}
}

// wantSettled checks that every release of ns is at its latest revision deployed, none
// pending, and that a plan straight through to the API server finds nothing to do.
func wantSettled(t *testing.T, file, ns string, n int) {
	t.Helper()
	store := helmStore(env, ns)
	for i := range n {
		name := fmt.Sprintf("n%02d", i)
		h, err := store.History(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := latest(t, store, name); got.status != "deployed" {
			t.Errorf("%s: latest revision %+v, want deployed", name, got)
		}
		for _, ri := range h {
			if r := ri.(*rspb.Release); r.Info.Status.IsPending() {
				t.Errorf("%s revision %d is still %s", name, r.Version, r.Info.Status)
			}
		}
	}
	r := kaji(t, "", false, "plan", "--detailed-exitcode", "-f", file, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName)
	if r.code != 0 {
		t.Errorf("plan after the apply: exit %d, want 0 (in sync)\n%s%s", r.code, r.out, r.err)
	}
}

// Throttling (429 with Retry-After), a burst of 503s and 500s without it and connections
// reset mid-request, on reads and on the server-side apply dry runs: plan rides them out and
// finds the same changes.
func TestPlanRidesOutThrottlingAnd5xx(t *testing.T) {
	file, ns := noteProject(t, 3, "one")
	p := faultproxy.Start(t, env)
	throttled := p.Add(faultproxy.Rule{Method: http.MethodGet, Path: "/namespaces/" + ns + "/secrets", Times: 2, Fault: faultproxy.Status(http.StatusTooManyRequests, "1")})
	burst := p.Add(faultproxy.Rule{Method: http.MethodGet, Path: "/namespaces/" + ns + "/", Times: 3, Fault: faultproxy.Status(http.StatusServiceUnavailable, "")})
	dryRuns := p.Add(faultproxy.Rule{Method: http.MethodPatch, Query: "dryRun", Times: 3, Fault: faultproxy.Status(http.StatusInternalServerError, "")})
	resets := p.Add(faultproxy.Rule{Method: http.MethodGet, Path: "/namespaces/" + ns + "/", Times: 2, Fault: faultproxy.Reset()})
	resetDryRun := p.Add(faultproxy.Rule{Method: http.MethodPatch, Query: "dryRun", Skip: 1, Times: 1, Fault: faultproxy.Reset()})

	r := viaProxy(t, p, ns, nil, "plan", "--detailed-exitcode", "-f", file)
	if r.code != cli.ExitChanges {
		t.Fatalf("plan through faults: exit %d, want %d (changes)\n%s%s", r.code, cli.ExitChanges, r.out, r.err)
	}
	wantContains(t, "plan through faults", r.out, "n00", "n01", "n02")
	wantHits(t, "429 on reads", throttled, 2)
	wantHits(t, "503 burst on reads", burst, 3)
	wantHits(t, "500 burst on dry runs", dryRuns, 3)
	wantHits(t, "resets on reads", resets, 2)
	wantHits(t, "reset on a dry run", resetDryRun, 1)
}

// apply rides out throttling on every verb, 503s on reads and server-side applies, and
// connections reset on reads; what it installs is deployed and in sync.
func TestApplyRidesOutThrottling5xxAndResets(t *testing.T) {
	file, ns := noteProject(t, 6, "one")
	p := faultproxy.Start(t, env)
	// Helm's release records; not the lease, whose renewal a 1s Retry-After would hold up
	// past the deadline of a 3s lease (the lock then stops the run, as it must).
	throttled := p.Add(faultproxy.Rule{Method: faultproxy.Writes, Path: "/namespaces/" + ns + "/secrets", Times: 3, Fault: faultproxy.Status(http.StatusTooManyRequests, "1")})
	resets := p.Add(faultproxy.Rule{Method: http.MethodGet, Path: "/namespaces/" + ns + "/", Skip: 2, Times: 3, Fault: faultproxy.Reset()})
	burst := p.Add(faultproxy.Rule{Method: http.MethodGet, Path: "/namespaces/" + ns + "/", Skip: 10, Times: 3, Fault: faultproxy.Status(http.StatusServiceUnavailable, "")})
	applies := p.Add(faultproxy.Rule{Method: http.MethodPatch, Path: "/namespaces/" + ns + "/configmaps/", Times: 2, Fault: faultproxy.Status(http.StatusBadGateway, "")})
	leases := p.Add(faultproxy.Rule{Method: http.MethodPut, Path: "/leases/", Times: 2, Fault: faultproxy.Reset()})

	r := viaProxy(t, p, ns, nil, "apply", "--yes", "-f", file)
	if r.code != 0 {
		t.Fatalf("apply through faults: exit %d\n%s%s", r.code, r.out, r.err)
	}
	wantContains(t, "apply through faults", r.out, "apply: 6 done, 0 failed, 0 skipped")
	wantHits(t, "429 on writes", throttled, 3)
	wantHits(t, "resets on reads", resets, 3)
	wantHits(t, "503 burst on reads", burst, 3)
	wantHits(t, "502 on server-side applies", applies, 1)
	wantHits(t, "resets on lease writes", leases, 1)
	wantSettled(t, file, ns, 6)
}

// An answer that never comes makes plan and apply fail after --request-timeout, with an
// error that names the server, what it did not answer, and what to do.
func TestStalledAnswerFailsClearly(t *testing.T) {
	file, ns := noteProject(t, 2, "one")
	p := faultproxy.Start(t, env)
	stalled := p.Add(faultproxy.Rule{Method: http.MethodGet, Path: "/namespaces/" + ns + "/secrets", Fault: faultproxy.Stall()})
	for _, cmd := range [][]string{{"plan"}, {"apply", "--yes"}} {
		r := viaProxy(t, p, ns, nil, append(cmd, "-f", file, "--request-timeout", "2s")...)
		if r.code != cli.ExitError {
			t.Errorf("%s with a stalled answer: exit %d, want %d\n%s%s", cmd[0], r.code, cli.ExitError, r.out, r.err)
		}
		wantContains(t, cmd[0]+" with a stalled answer", r.err,
			"the API server at "+p.URL+" did not answer GET /api/v1/namespaces/"+ns+"/secrets within 2s",
			"or give it longer with --request-timeout")
	}
	wantHits(t, "stall", stalled, 2)
}

// An apply cut off mid-way (every connection dropped after its third write to the
// namespace) fails; the next apply, with the network back, converges and leaves nothing
// pending.
func TestApplyCutOffMidwayConverges(t *testing.T) {
	file, ns := noteProject(t, 6, "one")
	p := faultproxy.Start(t, env)
	cut := p.Add(faultproxy.Rule{Method: faultproxy.Writes, Path: "/namespaces/" + ns + "/secrets", Skip: 3, Times: 1, Fault: faultproxy.Cut()})
	r := viaProxy(t, p, ns, nil, "apply", "--yes", "-f", file, "--request-timeout", "5s")
	if r.code == 0 {
		t.Fatalf("apply cut off: exit 0, want a failure\n%s%s", r.out, r.err)
	}
	wantHits(t, "cut", cut, 1)
	wantContains(t, "apply cut off", r.err, "the API server at "+p.URL)

	p.Clear()
	r = viaProxy(t, p, ns, nil, "apply", "--yes", "-f", file)
	if r.code != 0 {
		t.Fatalf("apply after the cut: exit %d\n%s%s", r.code, r.out, r.err)
	}
	wantSettled(t, file, ns, 6)
}

// An API server warning is printed once on stderr, through the run's redaction: a secret
// value in it shows as its label.
func TestAPIServerWarningsAreRedacted(t *testing.T) {
	file, ns := noteProject(t, 1, "one")
	p := faultproxy.Start(t, env)
	s := newSentinel("warning")
	reg := secrets.NewRegistry()
	if err := reg.Add(s.value, s.label); err != nil {
		t.Fatal(err)
	}
	warned := p.Add(faultproxy.Rule{Path: "/namespaces/" + ns + "/", Fault: faultproxy.Warn("deprecated field holds " + s.value)})
	r := viaProxy(t, p, ns, reg, "plan", "-f", file)
	if r.code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", r.code, r.out, r.err)
	}
	wantHits(t, "warning", warned, 1)
	if leaked := s.leaks(r.out + r.err); len(leaked) > 0 {
		t.Errorf("plan printed the secret in a warning (%q):\n%s", leaked, r.err)
	}
	want := "Warning: deprecated field holds " + s.label
	if n := strings.Count(r.err, want); n != 1 {
		t.Errorf("stderr has the warning %d times, want once:\n%s", n, r.err)
	}
}
