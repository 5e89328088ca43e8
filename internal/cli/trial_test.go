package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/testenv/faultproxy"
)

// The fault trial: runs of `kaji apply` over a 20-release project, each killed (SIGKILL)
// after its k-th progress event or cut off (the proxy drops every connection) at its k-th
// write, k drawn at random; after each, a normal apply converges, nothing stays pending and
// plan is in sync. KAJI_TRIALS sets the number of runs (3 by default, to keep `make test`
// short; 30 for the full trial) and KAJI_TRIAL_SEED the seed (1 by default).
func TestFaultTrial(t *testing.T) {
	trials, seed := envInt(t, "KAJI_TRIALS", 3), envInt(t, "KAJI_TRIAL_SEED", 1)
	binary(t)
	began := time.Now()
	const releases = 20
	file, ns := noteProject(t, releases, "start")
	p := faultproxy.Start(t, env)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))

	var converge []time.Duration
	recovered, pendingTotal := 0, 0
	for i := range trials {
		writeNoteProject(t, file, ns, releases, fmt.Sprintf("trial-%d", i))
		var what string
		faultStart := time.Now()
		if rng.IntN(2) == 0 {
			k := 1 + rng.IntN(2*releases)
			what = fmt.Sprintf("killed after progress event %d", k)
			if ended := killAfterEvents(t, ns, file, k); ended {
				what += " (it ended first)"
			}
		} else {
			k := rng.IntN(5 * releases)
			what = fmt.Sprintf("cut off at write %d", k+1)
			p.Add(faultproxy.Rule{Method: faultproxy.Writes, Path: "/namespaces/" + ns + "/", Skip: k, Times: 1, Fault: faultproxy.Cut()})
			cutOff(t, p, ns, file)
			p.Clear()
		}
		faulted := time.Since(faultStart)
		left := pendingReleases(t, ns, releases)
		pendingTotal += left
		took, ok := convergeAfterTrial(t, ns, file, releases)
		t.Logf("trial %d: %s (after %s), %d releases left pending; converged in %s: %v",
			i+1, what, faulted.Round(10*time.Millisecond), left, took.Round(10*time.Millisecond), ok)
		if ok {
			recovered++
			converge = append(converge, took)
		}
	}
	if len(converge) > 0 {
		slices.Sort(converge)
		t.Logf("fault trial (seed %d): %d trials, %d recovered, %d releases left pending in all; converged in min %s, median %s, max %s",
			seed, trials, recovered, pendingTotal, converge[0].Round(10*time.Millisecond),
			converge[len(converge)/2].Round(10*time.Millisecond), converge[len(converge)-1].Round(10*time.Millisecond))
	}
	t.Logf("trials took %s", time.Since(began).Round(10*time.Millisecond))
	if recovered != trials {
		t.Errorf("%d of %d trials recovered", recovered, trials)
	}
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// killAfterEvents starts an apply of file with -o json, kills it with SIGKILL once it has
// printed k progress events, and says whether it ended before that.
func killAfterEvents(t *testing.T, ns, file string, k int) (ended bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := kajiCmd(ctx, t, env, "apply", "--yes", "-o", "json", "-f", file, "--lock-namespace", ns, "--lock-lease", "3s")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	events := 0
	sc := bufio.NewScanner(stdout)
	for events < k && sc.Scan() {
		var ev struct{ Event string }
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Event != "" {
			events++
		}
	}
	if events == k {
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatal(err)
		}
	}
	_, _ = io.Copy(io.Discard, stdout) // the rest, so that Wait returns
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("apply to be killed did not end:\n%s", stderr.String())
	}
	var exit *exec.ExitError
	return events < k || !errors.As(err, &exit) || exit.ExitCode() != -1
}

// cutOff runs an apply of file through p, whose rule cuts the network, and waits for it to
// end on its own: it cannot renew the project lock and stops.
func cutOff(t *testing.T, p *faultproxy.Proxy, ns, file string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), "apply", "--yes", "-f", file, "--kubeconfig", p.KubeconfigPath,
		"--kube-context", faultproxy.ContextName, "--lock-namespace", ns, "--lock-lease", "3s", "--request-timeout", "5s")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("apply cut off did not end within 2 minutes:\n%s", out)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Logf("apply cut off ran for %s:\n%s", took.Round(10*time.Millisecond), out)
	}
	_ = err // it fails, or ends first when the cut comes after its last write
}

// convergeAfterTrial runs a normal apply and checks that every release is deployed, none
// pending, the lock free and plan in sync; it returns how long the apply took.
func convergeAfterTrial(t *testing.T, ns, file string, releases int) (time.Duration, bool) {
	t.Helper()
	start := time.Now()
	code, out := runKaji(t, env, "apply", "--yes", "-f", file, "--lock-namespace", ns, "--lock-lease", "3s")
	took := time.Since(start)
	if code != 0 {
		t.Errorf("apply after the fault: exit %d\n%s", code, out)
		return took, false
	}
	failed := t.Failed()
	wantSettled(t, file, ns, releases)
	if h, err := lock.Inspect(t.Context(), env.Client.CoordinationV1(), lock.Options{Namespace: ns, Project: ns}); err != nil || h != nil {
		t.Errorf("lock after converging: %+v, %v; want it free", h, err)
	}
	return took, t.Failed() == failed
}

// pendingReleases counts the releases whose latest revision is pending.
func pendingReleases(t *testing.T, ns string, releases int) int {
	t.Helper()
	store := helmStore(env, ns)
	n := 0
	for i := range releases {
		if latest(t, store, fmt.Sprintf("n%02d", i)).isPending() {
			n++
		}
	}
	return n
}
