package doctor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/doctor"
)

// release is one release of a generated kaji.yaml.
type release struct {
	name, namespace, chart string
}

// kajiFile is a kaji.yaml written for a scenario.
type kajiFile struct {
	path string
	// lock is where apply and doctor keep the project lock: the namespace of the first
	// release, whose RBAC the scenarios set up anyway.
	lock string
}

// writeKaji writes a kaji.yaml whose releases use the quickstart's charts and whose cluster
// is cluster (YAML under cluster:).
func writeKaji(t *testing.T, project, cluster string, releases ...release) kajiFile {
	t.Helper()
	charts, err := filepath.Abs("../../examples/quickstart/charts")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: kaji.dev/v1alpha1\nproject: %s\ncluster:\n%s\nreleases:\n", project, cluster)
	for _, r := range releases {
		fmt.Fprintf(&b, "  - name: %s\n    namespace: %s\n    chart: %s\n    createNamespace: false\n", r.name, r.namespace, filepath.Join(charts, r.chart))
	}
	path := filepath.Join(t.TempDir(), "kaji.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return kajiFile{path: path, lock: releases[0].namespace}
}

// eksCluster is kaji.yaml's cluster.eks through the deployer role.
const eksCluster = `  eks:
    name: prod
    region: eu-west-1
    roleArn: arn:aws:iam::111122223333:role/platform/kaji-deployer
    externalId: kaji-e2e
    sessionName: kaji-e2e-user`

type run struct {
	code     int
	out, err string
}

func (r run) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.err)
}

// kaji runs the CLI in process.
func kaji(t *testing.T, args ...string) run {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(ctxT(t), args, cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return run{code: code, out: out.String(), err: errOut.String()}
}

// applyFails runs kaji apply and checks that it fails with every one of want.
func applyFails(t *testing.T, file kajiFile, want ...string) run {
	t.Helper()
	r := kaji(t, "apply", "--yes", "-f", file.path, "--lock-namespace", file.lock)
	if r.code != 1 {
		t.Fatalf("apply should fail: %s", r)
	}
	for _, w := range want {
		if !strings.Contains(r.out+r.err, w) {
			t.Errorf("apply output lacks %q: %s", w, r)
		}
	}
	return r
}

func applySucceeds(t *testing.T, file kajiFile) {
	t.Helper()
	if r := kaji(t, "apply", "--yes", "-f", file.path, "--lock-namespace", file.lock); r.code != 0 {
		t.Fatalf("apply after the fix: %s", r)
	}
}

// doctorRun runs kaji doctor on file with the scenario's lock namespace, and checks that it
// printed no key, secret or token.
func doctorRun(t *testing.T, file kajiFile, args ...string) run {
	t.Helper()
	args = append([]string{"-f", file.path, "--lock-namespace", file.lock}, args...)
	r := kaji(t, append([]string{"doctor"}, args...)...)
	for _, secret := range []string{"alice-secret-key", "AKIAALICE", "ASIA", "IQoJsim", "k8s-aws-v1."} {
		if strings.Contains(r.out+r.err, secret) {
			t.Errorf("doctor printed a key, secret or token (%s...):\n%s", secret, r)
		}
	}
	return r
}

// doctorJSON runs kaji doctor -o json and decodes the report.
func doctorJSON(t *testing.T, wantCode int, file kajiFile, args ...string) doctor.Report {
	t.Helper()
	r := doctorRun(t, file, append([]string{"-o", "json"}, args...)...)
	if r.code != wantCode {
		t.Fatalf("doctor exit %d, want %d: %s", r.code, wantCode, r)
	}
	var rep doctor.Report
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatalf("doctor -o json: %v\n%s", err, r.out)
	}
	return rep
}

// finding returns a check's finding and checks its status.
func finding(t *testing.T, rep doctor.Report, check string, want doctor.Status) doctor.Finding {
	t.Helper()
	f, ok := rep.Finding(check)
	if !ok {
		t.Fatalf("no finding for %s", check)
	}
	if f.Status != want {
		t.Fatalf("%s: status %s, want %s: %s\nevidence: %q\nfix: %+v", check, f.Status, want, f.Summary, f.Evidence, f.Fix)
	}
	return f
}

// wantStatuses checks the status of every check at once.
func wantStatuses(t *testing.T, rep doctor.Report, want map[string]doctor.Status) {
	t.Helper()
	for _, f := range rep.Findings {
		if w, ok := want[f.Check]; ok && f.Status != w {
			t.Errorf("%s: status %s, want %s: %s (evidence %q)", f.Check, f.Status, w, f.Summary, f.Evidence)
		}
	}
}

var (
	portPattern = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

// golden compares doctor's text output with testdata/golden/NAME.txt, after normalizing
// what changes from run to run.
func golden(t *testing.T, name, got string, replace ...string) {
	t.Helper()
	got = portPattern.ReplaceAllString(got, "127.0.0.1:PORT")
	got = strings.NewReplacer(replace...).Replace(got)
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("doctor output differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
