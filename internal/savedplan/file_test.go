package savedplan_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/readlimit/readlimittest"
	"kaji.dev/kaji/internal/savedplan"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// project writes kaji.yaml, a values file and kaji.lock into a fresh directory, and returns
// the path of kaji.yaml.
func project(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"kaji.yaml": "project: p\n", "values/web.yaml": "replicas: 2\n", "kaji.lock": "entries: []\n"} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "kaji.yaml")
}

func samplePlan() *plan.Plan {
	return &plan.Plan{Project: "p", Environment: "prod", Releases: []plan.Release{{
		Name: "web", Namespace: "apps", State: plan.StateUpgrade, Action: plan.ActionUpgrade, Reason: "values changed",
		Chart: "app", Version: "1.2.0", Current: &plan.Revision{Number: 3, Status: "deployed"},
		Fingerprint: plan.Fingerprint{Desired: digestA, Live: digestB, Objects: []plan.LiveObject{
			{Object: plan.ObjectRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "apps", Name: "web"}, UID: "u1", ResourceVersion: "10"},
			{Object: plan.ObjectRef{Version: "v1", Kind: "ConfigMap", Namespace: "apps", Name: "web"}},
		}},
	}}}
}

func sample(t testing.TB, kajiYAML string) *savedplan.File {
	t.Helper()
	dir := filepath.Dir(kajiYAML)
	f, err := savedplan.New(samplePlan(), savedplan.Source{
		KajiVersion: "1.0.0", Cluster: savedplan.Cluster{Context: "ctx", Server: "https://k"},
		KajiYAML: kajiYAML, ValuesFiles: []string{filepath.Join(dir, "values/web.yaml"), filepath.Join(dir, "values/web.yaml")},
		Lock: filepath.Join(dir, "kaji.lock"), Selection: savedplan.Selection{Releases: []string{"web"}},
		Options: savedplan.Options{Adopt: true}, Created: time.Date(2027, 1, 2, 3, 4, 5, 6, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Written then read, a plan is what was written, mode 0600, and its files hold.
func TestRoundTrip(t *testing.T) {
	kajiYAML := project(t)
	f := sample(t, kajiYAML)
	path := filepath.Join(t.TempDir(), "plan.yaml")
	if err := savedplan.Write(path, f); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	got, err := savedplan.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Path() != path {
		t.Errorf("Path %q, want %q", got.Path(), path)
	}
	want := *f
	if !reflect.DeepEqual(got.Releases, want.Releases) || got.Cluster != want.Cluster || !got.Created.Equal(want.Created) ||
		!reflect.DeepEqual(got.Files, want.Files) || got.Options != want.Options || !reflect.DeepEqual(got.Selection, want.Selection) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
	var paths []string
	for _, d := range got.Files {
		paths = append(paths, d.Path)
	}
	if strings.Join(paths, " ") != "kaji.yaml values/web.yaml kaji.lock" {
		t.Errorf("files %v, want kaji.yaml, the values file once, kaji.lock, relative", paths)
	}
	if err := got.CheckFiles(kajiYAML); err != nil {
		t.Errorf("unchanged files: %v", err)
	}
	if err := got.Check(samplePlan()); err != nil {
		t.Errorf("the same plan: %v", err)
	}
	// The directory holds the plan alone: the temporary file is gone.
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 {
		t.Errorf("directory holds %v (%v), want the plan alone", entries, err)
	}
}

// Every way a file can be wrong is an error that names the file and says what to do.
func TestDecodeIsStrict(t *testing.T) {
	f := sample(t, project(t))
	good, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(from, to string) []byte {
		t.Helper()
		if !bytes.Contains(good, []byte(from)) {
			t.Fatalf("no %q in\n%s", from, good)
		}
		return bytes.Replace(good, []byte(from), []byte(to), 1)
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not YAML", []byte("{{{"), "not a plan of kaji plan --out"},
		{"empty", nil, "apiVersion \"\""},
		{"other version", edit("kaji.dev/plan/v1", "kaji.dev/plan/v2"), `apiVersion "kaji.dev/plan/v2"`},
		{"unknown field", edit("project: p\n", "project: p\nextra: 1\n"), "field extra not found"},
		{"wrong type", edit("changes: true", "changes: [1]"), "cannot unmarshal"},
		{"tampered action", edit("action: upgrade", "action: none"), "was changed after kaji plan wrote it"},
		{"tampered revision", edit("revision: 3", "revision: 4"), "was changed after kaji plan wrote it"},
		{"bad digest", edit(digestA, "sha256:xyz"), `releases[0].desired "sha256:xyz" is not a digest`},
		{"missing project", edit("project: p\n", ""), "project is missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := savedplan.Decode("plan.yaml", c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "plan.yaml") {
				t.Errorf("error %v; want one naming plan.yaml and saying %q", err, c.want)
			}
		})
	}
	if _, err := savedplan.Decode("plan.yaml", good); err != nil {
		t.Errorf("the file as written: %v", err)
	}
}

// A file that changed, appeared or went away since the plan is named; nothing else is.
func TestCheckFiles(t *testing.T) {
	kajiYAML := project(t)
	f := sample(t, kajiYAML)
	dir := filepath.Dir(kajiYAML)
	if err := os.WriteFile(filepath.Join(dir, "values/web.yaml"), []byte("replicas: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "kaji.lock")); err != nil {
		t.Fatal(err)
	}
	err := f.CheckFiles(kajiYAML)
	stale, ok := err.(*savedplan.StaleError)
	if !ok {
		t.Fatalf("error %v, want a *StaleError", err)
	}
	if want := []string{"values/web.yaml changed", "kaji.lock was removed"}; !reflect.DeepEqual(stale.Changes, want) {
		t.Errorf("changes %q, want %q", stale.Changes, want)
	}
	if !strings.Contains(err.Error(), "run kaji plan --out") {
		t.Errorf("error does not say what to do: %v", err)
	}
}

// A values file outside the project is kept by a path relative to kaji.yaml, so that the
// plan holds no absolute path of the machine that made it and checks the same from another
// checkout of the same files.
func TestFilesOutsideTheProjectAreRelative(t *testing.T) {
	root := t.TempDir()
	write := func(path, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	first := filepath.Join(root, "checkout-1")
	write(filepath.Join(first, "deploy", "kaji.yaml"), "project: p\n")
	write(filepath.Join(first, "shared", "common.yaml"), "replicas: 2\n")
	f, err := savedplan.New(samplePlan(), savedplan.Source{
		KajiVersion: "1.0.0", Cluster: savedplan.Cluster{Context: "ctx", Server: "https://k"}, Created: time.Now(),
		KajiYAML:    filepath.Join(first, "deploy", "kaji.yaml"),
		ValuesFiles: []string{filepath.Join(first, "shared", "common.yaml")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Files[1].Path; got != "../shared/common.yaml" {
		t.Errorf("the values file is kept as %q, want ../shared/common.yaml", got)
	}
	data, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(root)) {
		t.Errorf("the plan holds the absolute path %s:\n%s", root, data)
	}
	second := filepath.Join(root, "checkout-2")
	if err := os.Rename(first, second); err != nil {
		t.Fatal(err)
	}
	read, err := savedplan.Decode("plan.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if err := read.CheckFiles(filepath.Join(second, "deploy", "kaji.yaml")); err != nil {
		t.Errorf("the same files in another checkout: %v", err)
	}
	write(filepath.Join(second, "shared", "common.yaml"), "replicas: 3\n")
	if err := read.CheckFiles(filepath.Join(second, "deploy", "kaji.yaml")); err == nil || !strings.Contains(err.Error(), "../shared/common.yaml changed") {
		t.Errorf("a changed values file outside the project: %v", err)
	}
}

// Check names, per release, what changed in a plan made since.
func TestCheckNamesTheChanges(t *testing.T) {
	f := sample(t, project(t))
	cases := []struct {
		name   string
		change func(*plan.Release)
		want   string
	}{
		{"revision", func(r *plan.Release) { r.Current = &plan.Revision{Number: 4, Status: "deployed"} }, "latest revision 3 (deployed) → 4 (deployed)"},
		{"action", func(r *plan.Release) { r.State, r.Action = plan.StateInSync, plan.ActionNone }, "action upgrade (upgrade) → none (in-sync)"},
		{"desired", func(r *plan.Release) { r.Fingerprint.Desired = digestB }, "what apply would install changed"},
		{"live object", func(r *plan.Release) {
			r.Fingerprint.Live = digestA
			r.Fingerprint.Objects[0].ResourceVersion = "11"
		}, "live object Deployment.apps apps/web changed (resourceVersion 10 → 11)"},
		{"live object created", func(r *plan.Release) {
			r.Fingerprint.Live = digestA
			r.Fingerprint.Objects[1].UID = "u2"
		}, "live object ConfigMap apps/web was created"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := samplePlan()
			c.change(&p.Releases[0])
			err := f.Check(p)
			if err == nil || !strings.Contains(err.Error(), "release apps/web: "+c.want) {
				t.Errorf("error %v; want it to say %q", err, c.want)
			}
		})
	}
	// A resourceVersion written without a change of what the plan compares is no change.
	p := samplePlan()
	p.Releases[0].Fingerprint.Objects[0].ResourceVersion = "12"
	if err := f.Check(p); err != nil {
		t.Errorf("only the resourceVersion changed: %v", err)
	}
	p = samplePlan()
	p.Releases = append(p.Releases, plan.Release{Name: "old", Namespace: "apps", State: plan.StateOrphan, Action: plan.ActionNone})
	if err := f.Check(p); err == nil || !strings.Contains(err.Error(), "release apps/old: is an orphan now") {
		t.Errorf("a new orphan: %v", err)
	}
}

func TestReadRefusesAFileTooLargeToBeAPlan(t *testing.T) {
	path := readlimittest.HugeFile(t, "plan.kaji")
	_, err := savedplan.Read(path)
	if err == nil || !strings.Contains(err.Error(), "larger than") || !strings.Contains(err.Error(), "is it a plan of kaji plan --out?") {
		t.Fatalf("Read of a 1 GiB file: %v; want it refused for its size, asking whether it is a plan", err)
	}
	if _, err := savedplan.Read(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "write one with kaji plan --out") {
		t.Errorf("Read of a missing file: %v; want the hint to write one", err)
	}
}
