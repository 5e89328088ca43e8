package cli_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/cli"
	"kaji.dev/kaji/internal/secrets"
)

// A sentinel secret: a random token, between characters that JSON, YAML and Go escape.
type sentinel struct {
	token, value, label string
}

func newSentinel(name string) sentinel {
	token := "kajisentinel" + strings.ToLower(rand.Text()[:10])
	return sentinel{token: token, value: token + `-"q&<x>`, label: secrets.LabelRef("ref+awsssm://kaji-test/" + name)}
}

// leaks returns the forms of s found in text: the token (which every escaped form keeps as it
// is) and the base64 of the value.
func (s sentinel) leaks(text string) []string {
	var found []string
	for _, form := range []string{s.token, base64.StdEncoding.EncodeToString([]byte(s.value))} {
		if strings.Contains(text, form) {
			found = append(found, form)
		}
	}
	return found
}

// sentinelProject registers two sentinels, first and second, as secrets of the runs of t,
// writes a project (named name) of one release, db, of the sentinel chart whose values carry
// first, and returns them, the project's flags and namespace, and a runner of kaji on that project that fails t when a run
// prints either sentinel (logging each run's output with -v).
func sentinelProject(t *testing.T, name string) (first, second sentinel, flags []string, ns string, kajiRun func(step string, args ...string) run) {
	t.Helper()
	first, second = newSentinel("first"), newSentinel("second")
	reg := secrets.NewRegistry()
	for _, s := range []sentinel{first, second} {
		if err := reg.Add(s.value, s.label); err != nil {
			t.Fatal(err)
		}
	}
	chart, err := filepath.Abs("testdata/secrets/charts/sentinel")
	if err != nil {
		t.Fatal(err)
	}
	flags, ns, _ = planProject(t, name, `
releases:
  - name: db
    namespace: NS1
    chart: `+chart+`
    values:
      password: `+strconv.Quote(first.value)+`
`)
	kajiRun = func(step string, args ...string) run {
		t.Helper()
		var out, errOut bytes.Buffer
		code := cli.Main(context.Background(), append(args, flags...), cli.Streams{
			In: strings.NewReader(""), Out: &out, Err: &errOut, Secrets: reg,
		})
		r := run{code: code, out: out.String(), err: errOut.String()}
		if testing.Verbose() {
			t.Logf("%s:\nstdout:\n%s\nstderr:\n%s", step, r.out, r.err)
		}
		for _, s := range []sentinel{first, second} {
			if leaked := s.leaks(r.out + r.err); len(leaked) > 0 {
				t.Errorf("%s printed the secret (%q):\nstdout:\n%s\nstderr:\n%s", step, leaked, r.out, r.err)
			}
		}
		return r
	}
	return first, second, flags, ns, kajiRun
}

// A value registered as a secret of the run, which the release's values carry into a
// ConfigMap (data, binaryData, an annotation), a container's env and a Secret, is printed by
// no command (plan in text and JSON, apply in text and JSON with -vv, status, an error) while
// the live objects hold it.
func TestSecretsAreNeverPrinted(t *testing.T) {
	first, second, flags, ns, kajiRun := sentinelProject(t, "secrets")
	live := func(want sentinel) {
		t.Helper()
		cm, err := env.Client.CoreV1().ConfigMaps(ns).Get(t.Context(), "db", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		sec, err := env.Client.CoreV1().Secrets(ns).Get(t.Context(), "db", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		dep, err := env.Client.AppsV1().Deployments(ns).Get(t.Context(), "db", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{
			"ConfigMap data":       cm.Data["password"],
			"ConfigMap binaryData": string(cm.BinaryData["password.bin"]),
			"Secret data":          string(sec.Data["password"]),
			"container env":        dep.Spec.Template.Spec.Containers[0].Env[0].Value,
		}
		for where, v := range got {
			if v != want.value {
				t.Errorf("%s holds %q, want the secret %q", where, v, want.value)
			}
		}
	}

	// plan, text: the diff of the ConfigMap and the Deployment would show the value.
	r := kajiRun("plan", "plan")
	if r.code != cli.ExitOK {
		t.Fatalf("plan: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.out, first.label) {
		t.Errorf("plan does not show the label where the value would be:\n%s", r.out)
	}

	// plan, JSON: still valid JSON.
	r = kajiRun("plan -o json", "plan", "-o", "json", "--show-secrets")
	if r.code != cli.ExitOK || !json.Valid([]byte(r.out)) {
		t.Fatalf("plan -o json: exit %d, valid JSON %v\n%s%s", r.code, json.Valid([]byte(r.out)), r.out, r.err)
	}
	if !strings.Contains(r.out, first.label) {
		t.Errorf("plan -o json does not show the label where the value would be:\n%s", r.out)
	}

	// apply, JSON events with Helm's debug logs.
	r = kajiRun("apply -o json -vv", "apply", "-o", "json", "-vv", "--yes")
	if r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, line := range strings.Split(strings.TrimSpace(r.out), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("apply -o json: invalid JSON line %q", line)
		}
	}
	live(first)

	// A change of the value: the diff has the old and the new one.
	planRewrite(t, flags, strconv.Quote(first.value), strconv.Quote(second.value))
	r = kajiRun("plan of a change", "plan", "--show-secrets")
	if r.code != cli.ExitOK || !strings.Contains(r.out, first.label) || !strings.Contains(r.out, second.label) {
		t.Errorf("plan of a change: exit %d, want both labels in\n%s%s", r.code, r.out, r.err)
	}
	r = kajiRun("apply -vv", "apply", "-vv", "--yes")
	if r.code != cli.ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if !strings.Contains(r.err, "level=DEBUG") {
		t.Errorf("apply -vv: no debug logs of Helm on stderr:\n%s", r.err)
	}
	live(second)
	if r = kajiRun("status", "status"); r.code != cli.ExitOK {
		t.Errorf("status: exit %d\n%s%s", r.code, r.out, r.err)
	}

	// An error that quotes the value: the API server refuses it as a label.
	planRewrite(t, flags, "      password:", "      label: "+strconv.Quote(second.value)+"\n      password:")
	r = kajiRun("apply refused", "apply", "--yes")
	if r.code == cli.ExitOK || !strings.Contains(r.out+r.err, second.label) {
		t.Errorf("apply of an invalid label: exit %d, want a failure that names the label\n%s%s", r.code, r.out, r.err)
	}
}
