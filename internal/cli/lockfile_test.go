package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/chart/charttest"
	"kaji.dev/kaji/internal/cli"
)

// greeterRepo is an https chart repository (plain HTTP here) served in-process, whose chart
// greeter, a ConfigMap, can be published and published again while it runs.
type greeterRepo struct {
	url  string
	repo *charttest.Repo
}

func newGreeterRepo(t *testing.T) *greeterRepo {
	t.Helper()
	r := charttest.NewRepo(t, "")
	return &greeterRepo{url: r.URL(), repo: r}
}

// publish packages greeter at version, greeting with greeting, replacing any archive of that
// version, indexes the repository as helm repo index does, and returns the archive's digest.
func (r *greeterRepo) publish(t *testing.T, version, greeting string) string {
	t.Helper()
	return r.repo.Publish(t, "greeter", version, greeting)
}

// lockProject writes kaji.yaml with the release api of greeter (version constraint), a
// local-chart release, and an environment prod that pins api to 1.0.0, in a directory of its
// own. It isolates the chart cache and clears CI, and returns kaji.yaml's path.
func lockProject(t *testing.T, r *greeterRepo, namespace, constraint string) string {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("CI", "")
	charts, err := filepath.Abs("testdata/plan/charts")
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf(`apiVersion: kaji.dev/v1alpha1
project: %[1]s
repositories:
  stable: %[2]s
releases:
  - name: api
    namespace: %[1]s
    chart: stable/greeter
    version: %[3]q
  - name: local
    namespace: %[1]s
    chart: %[4]s/app
    enabled: false
environments:
  prod:
    releases:
      api:
        version: "1.0.0"
`, namespace, r.url, constraint, charts)
	path := filepath.Join(t.TempDir(), "kaji.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readLock(t *testing.T, kajiYAML string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(kajiYAML), "kaji.lock"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLockCommand(t *testing.T) {
	r := newGreeterRepo(t)
	d100 := r.publish(t, "1.0.0", "one")
	d101 := r.publish(t, "1.0.1", "two")
	path := lockProject(t, r, "shop", "~1.0")
	lockPath := filepath.Join(filepath.Dir(path), "kaji.lock")

	res := kaji(t, "", false, "lock", "-f", path)
	if res.code != 0 {
		t.Fatalf("kaji lock: exit %d\n%s%s", res.code, res.out, res.err)
	}
	want := strings.Join([]string{
		"+ api",
		"+     repository: " + r.url,
		"+     chart: greeter",
		"+     version: 1.0.1",
		"+     digest: " + d101,
		"+ api (environment prod)",
		"+     repository: " + r.url,
		"+     chart: greeter",
		"+     version: 1.0.0",
		"+     digest: " + d100,
		"wrote " + lockPath + ": 2 added, 0 changed, 0 removed; 2 pins in all",
		"",
	}, "\n")
	if res.out != want {
		t.Errorf("kaji lock printed:\n%s\nwant:\n%s", res.out, want)
	}
	written := readLock(t, path)
	for _, w := range []string{"apiVersion: kaji.dev/lock/v1\n", "  - release: api\n    repository: " + r.url + "\n", "    environment: prod\n", "digest: " + d101 + "\n"} {
		if !strings.Contains(written, w) {
			t.Errorf("kaji.lock lacks %q:\n%s", w, written)
		}
	}

	// Nothing new: nothing changes, not a byte.
	res = kaji(t, "", false, "lock", "-f", path)
	if res.code != 0 || res.out != lockPath+" is up to date: nothing changed\n" || readLock(t, path) != written {
		t.Fatalf("second kaji lock: exit %d\n%s%s", res.code, res.out, res.err)
	}

	// A newer version within ~1.0: kaji lock api takes it, and says what changed.
	d102 := r.publish(t, "1.0.2", "three")
	res = kaji(t, "", false, "lock", "api", "-f", path)
	want = strings.Join([]string{
		"~ api",
		"-     version: 1.0.1",
		"+     version: 1.0.2",
		"-     digest: " + d101,
		"+     digest: " + d102,
		"wrote " + lockPath + ": 0 added, 1 changed, 0 removed; 2 pins in all",
		"",
	}, "\n")
	if res.code != 0 || res.out != want {
		t.Fatalf("kaji lock api: exit %d\n%s%s\nwant:\n%s", res.code, res.out, res.err, want)
	}
	written = readLock(t, path)

	t.Run("read-only", func(t *testing.T) {
		r.publish(t, "1.0.3", "four")
		for _, c := range []struct {
			ci   string
			args []string
		}{
			{"true", nil},
			{"", []string{"--lock=readonly"}},
		} {
			t.Setenv("CI", c.ci)
			res := kaji(t, "", false, append([]string{"lock", "-f", path}, c.args...)...)
			if res.code != cli.ExitError || !strings.Contains(res.err, "kaji.lock is read-only here") {
				t.Errorf("CI=%q kaji lock %v: exit %d\n%s%s", c.ci, c.args, res.code, res.out, res.err)
			}
			if readLock(t, path) != written {
				t.Fatalf("CI=%q kaji lock %v changed kaji.lock", c.ci, c.args)
			}
		}
		// --lock given on the command line wins over CI.
		t.Setenv("CI", "true")
		if res := kaji(t, "", false, "lock", "-f", path, "--lock=auto"); res.code != 0 || !strings.Contains(res.out, "+     version: 1.0.3") {
			t.Errorf("CI=true kaji lock --lock=auto: exit %d\n%s%s", res.code, res.out, res.err)
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"lock", "apx"}, `kaji.yaml declares no release "apx" (declared: api, local)`},
			{[]string{"lock", "--env", "prod"}, "kaji lock pins every environment at once; drop --env prod"},
			{[]string{"plan", "--lock=sometimes"}, `unknown lock mode "sometimes": use auto, readonly or update`},
		} {
			res := kaji(t, "", false, append(c.args, "-f", path)...)
			if res.code != cli.ExitError || !strings.Contains(res.err, c.want) || !strings.Contains(res.err, "run 'kaji --help' for usage") {
				t.Errorf("kaji %v: exit %d, stderr %q; want a usage error with %q", c.args, res.code, res.err, c.want)
			}
		}
	})
}

func TestValidateFollowsKajiLock(t *testing.T) {
	r := newGreeterRepo(t)
	r.publish(t, "1.0.0", "one")
	path := lockProject(t, r, "shop", "~1.0")
	if res := kaji(t, "", false, "lock", "-f", path); res.code != 0 {
		t.Fatalf("kaji lock: exit %d\n%s%s", res.code, res.out, res.err)
	}
	written := readLock(t, path)

	// The constraint moves past the pin: validate says to run kaji lock.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(raw), `"~1.0"`, `"~1.1"`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r.publish(t, "1.1.0", "two")
	res := kaji(t, "", false, "validate", "-f", path)
	if res.code != cli.ExitError || !strings.Contains(res.out, `kaji.lock pins version 1.0.0, which version "~1.1" in kaji.yaml does not admit (run kaji lock api to pin it, or pass --lock=update)`) {
		t.Fatalf("validate with a stale pin: exit %d\n%s%s", res.code, res.out, res.err)
	}
	// prod pins 1.0.0 exactly, which its own entry still serves.
	if res := kaji(t, "", false, "validate", "-f", path, "--env", "prod"); res.code != 0 {
		t.Errorf("validate --env prod: exit %d\n%s%s", res.code, res.out, res.err)
	}
	// CI makes kaji.lock read-only, and says where to change it.
	t.Setenv("CI", "true")
	res = kaji(t, "", false, "validate", "-f", path, "--lock=readonly")
	if res.code != cli.ExitError || !strings.Contains(res.out, "kaji.lock is read-only here: run kaji lock api where it may change") {
		t.Errorf("validate --lock=readonly: exit %d\n%s%s", res.code, res.out, res.err)
	}
	t.Setenv("CI", "")
	if readLock(t, path) != written {
		t.Fatal("a failed validate changed kaji.lock")
	}

	// --lock=update pins it anew, writes kaji.lock and says so on stderr.
	res = kaji(t, "", false, "validate", "-f", path, "--lock=update")
	if res.code != 0 || !strings.Contains(res.err, "kaji.lock updated (--lock=update):\n~ api\n-     version: 1.0.0\n+     version: 1.1.0\n") ||
		!strings.Contains(res.err, "+ api (environment prod)\n") {
		t.Fatalf("validate --lock=update: exit %d\n%s%s", res.code, res.out, res.err)
	}
	// prod, which the old pin served and the new one does not, keeps the old pin.
	if got := readLock(t, path); !strings.Contains(got, "version: 1.1.0") || !strings.Contains(got, "environment: prod\n    repository: "+r.url+"\n    chart: greeter\n    version: 1.0.0\n") {
		t.Errorf("kaji.lock after --lock=update:\n%s", got)
	}
	for _, env := range []string{"", "prod"} {
		if res := kaji(t, "", false, "validate", "-f", path, "--env="+env); res.code != 0 {
			t.Errorf("validate --env=%s after the update: exit %d\n%s%s", env, res.code, res.out, res.err)
		}
	}
}

// The acceptance test of kaji.lock against a real API server: plan and apply deploy what
// kaji.lock pins while a newer version within the constraint appears; kaji lock moves the pin;
// a version published again with other content is refused with both digests.
func TestPlanAndApplyDeployThePinnedVersion(t *testing.T) {
	env.Require(t)
	ns := env.Namespace(t)
	r := newGreeterRepo(t)
	d100 := r.publish(t, "1.0.0", "one")
	path := lockProject(t, r, ns, "~1.0")
	flags := []string{"-f", path, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName, "--lock-namespace", ns}

	// Without kaji.lock, plan says how to pin the charts.
	res := kaji(t, "", false, append([]string{"plan"}, flags...)...)
	if res.code != 0 || !strings.Contains(res.err, "hint: there is no kaji.lock") {
		t.Fatalf("plan without kaji.lock: exit %d\n%s%s", res.code, res.out, res.err)
	}
	if res := kaji(t, "", false, "lock", "-f", path); res.code != 0 {
		t.Fatalf("kaji lock: exit %d\n%s%s", res.code, res.out, res.err)
	}
	d101 := r.publish(t, "1.0.1", "two") // within ~1.0, but not pinned

	res = kaji(t, "", false, append([]string{"apply", "--yes"}, flags...)...)
	if res.code != 0 || !strings.Contains(res.out, "installed greeter-1.0.0, revision 1") || strings.Contains(res.err, "hint:") {
		t.Fatalf("apply: exit %d\n%s%s", res.code, res.out, res.err)
	}
	cm, err := env.Client.CoreV1().ConfigMaps(ns).Get(t.Context(), "api", metav1.GetOptions{})
	if err != nil || cm.Data["greeting"] != "one" {
		t.Fatalf("ConfigMap api: %v %v, want the greeting of 1.0.0", cm.Data, err)
	}
	res = kaji(t, "", false, append([]string{"plan", "--detailed-exitcode"}, flags...)...)
	if res.code != 0 {
		t.Fatalf("plan after apply: exit %d, want 0 (in sync at the pin)\n%s%s", res.code, res.out, res.err)
	}

	// kaji lock moves the pin: plan shows the upgrade to it.
	if res := kaji(t, "", false, "lock", "api", "-f", path); res.code != 0 || !strings.Contains(res.out, "+     digest: "+d101) {
		t.Fatalf("kaji lock api: exit %d\n%s%s", res.code, res.out, res.err)
	}
	res = kaji(t, "", false, append([]string{"plan", "--detailed-exitcode"}, flags...)...)
	if res.code != cli.ExitChanges || !strings.Contains(res.out, "upgrade to greeter 1.0.1, revision 2") {
		t.Fatalf("plan after kaji lock: exit %d\n%s%s", res.code, res.out, res.err)
	}

	// 1.0.1 is published again with other content: plan and apply refuse it, naming both
	// digests, even with an empty chart cache.
	again := r.publish(t, "1.0.1", "changed behind your back")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	for _, cmd := range [][]string{{"plan"}, {"apply", "--yes"}} {
		res = kaji(t, "", false, append(cmd, flags...)...)
		all := res.out + res.err
		if res.code != cli.ExitError || !strings.Contains(all, "has digest "+again) || !strings.Contains(all, "kaji.lock pins digest "+d101) ||
			!strings.Contains(all, "run kaji lock api") {
			t.Errorf("%v of a republished chart: exit %d\n%s%s", cmd, res.code, res.out, res.err)
		}
	}
	cm, err = env.Client.CoreV1().ConfigMaps(ns).Get(t.Context(), "api", metav1.GetOptions{})
	if err != nil || cm.Data["greeting"] != "one" {
		t.Errorf("ConfigMap api after the refusals: %v %v, want it untouched", cm.Data, err)
	}

	// The prod environment keeps its own pin.
	res = kaji(t, "", false, append([]string{"plan", "--env", "prod", "--detailed-exitcode"}, flags...)...)
	if res.code != 0 || !strings.Contains(res.out, "greeter 1.0.0") {
		t.Errorf("plan --env prod: exit %d, want 0 at the prod pin 1.0.0 (%s)\n%s%s", res.code, d100, res.out, res.err)
	}
}
