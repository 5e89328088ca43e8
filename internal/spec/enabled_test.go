package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResolveEnabled resolves the fixtures of testdata/enabled in each environment: which
// releases are in, in what order, which are left out and why, and the problems of a need that
// names a release left out (compared with testdata/enabled/FILE.ENV.golden; -update rewrites
// them).
func TestResolveEnabled(t *testing.T) {
	tests := []struct {
		file, env string
		// want are the releases in, in order; disabled those left out, in file order.
		want, disabled string
		// reasons are words each left-out release's reason must have, by name.
		reasons map[string]string
		// problem says that resolving fails; the golden file has the problems.
		problem bool
	}{
		{file: "prod-only", env: "", want: "db web debug", disabled: "monitoring",
			reasons: map[string]string{"monitoring": "disabled (enabled: false at testdata/enabled/prod-only.yaml:10:5)"}},
		{file: "prod-only", env: "test", want: "db web debug", disabled: "monitoring",
			reasons: map[string]string{"monitoring": `disabled in environment "test" (environments.test.releases.monitoring.enabled at testdata/enabled/prod-only.yaml:24:9)`}},
		{file: "prod-only", env: "prod", want: "db monitoring web", disabled: "debug",
			reasons: map[string]string{"debug": `disabled in environment "prod" (environments.prod.releases.debug.enabled at testdata/enabled/prod-only.yaml:30:9)`}},
		{file: "needs-disabled", env: "", problem: true},
		{file: "needs-disabled", env: "prod", want: "db cache web"},
		{file: "needs-disabled", env: "test", want: "cache", disabled: "db web"},
		{file: "needs-disabled", env: "staging", problem: true},
		{file: "needs-disabled", env: "lean", problem: true},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/env="+tt.env, func(t *testing.T) {
			file := filepath.Join("testdata", "enabled", tt.file+".yaml")
			d, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			res, err := d.Resolve(tt.env)
			if tt.problem {
				var ps Problems
				if !errors.As(err, &ps) {
					t.Fatalf("Resolve(%q) = %v, want Problems", tt.env, err)
				}
				env := tt.env
				if env == "" {
					env = "none"
				}
				golden(t, strings.TrimSuffix(file, ".yaml")+"."+env+".golden", err.Error()+"\n")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(res.Releases); got != tt.want {
				t.Errorf("releases = %q, want %q", got, tt.want)
			}
			var off []string
			for _, dr := range res.Disabled {
				off = append(off, dr.Name)
				if want, ok := tt.reasons[dr.Name]; ok && dr.Reason != want {
					t.Errorf("%s: reason %q, want %q", dr.Name, dr.Reason, want)
				}
				if dr.Namespace == "" || dr.Pos.Line == 0 {
					t.Errorf("%s: namespace %q, position %s", dr.Name, dr.Namespace, dr.Pos)
				}
			}
			if got := strings.Join(off, " "); got != tt.disabled {
				t.Errorf("disabled = %q, want %q", got, tt.disabled)
			}
		})
	}
}

// The release's rollbackOnFailure and adopt reach the resolved release as written.
func TestResolveRollbackAndAdopt(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kaji.yaml")
	writeFile(t, file, `apiVersion: kaji.dev/v1alpha1
project: shop
releases:
  - {name: a, namespace: shop, chart: oci://example.com/a, rollbackOnFailure: false, adopt: true}
  - {name: b, namespace: shop, chart: oci://example.com/b, rollbackOnFailure: true}
  - {name: c, namespace: shop, chart: oci://example.com/c}
`)
	d, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.Resolve("")
	if err != nil {
		t.Fatal(err)
	}
	got := func(i int) string {
		r := res.Releases[i]
		rb := "nil"
		if r.RollbackOnFailure != nil {
			rb = map[bool]string{true: "true", false: "false"}[*r.RollbackOnFailure]
		}
		return r.Name + " " + rb + " " + map[bool]string{true: "adopt", false: "-"}[r.Adopt]
	}
	for i, want := range []string{"a false adopt", "b true -", "c nil -"} {
		if g := got(i); g != want {
			t.Errorf("release %d: %q, want %q", i, g, want)
		}
	}
}

func writeFile(t *testing.T, file, text string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
