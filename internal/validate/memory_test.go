package validate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"kaji.dev/kaji/internal/secrets/secretstest"
)

// mapMemory is a Memory in memory, for tests.
type mapMemory struct {
	mu    sync.Mutex
	clean map[Key]bool
}

func (m *mapMemory) Clean(k Key) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.clean[k]
}

func (m *mapMemory) RememberClean(k Key) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.clean == nil {
		m.clean = map[Key]bool{}
	}
	m.clean[k] = true
}

// memoryProject writes a project of three releases: a and b of their own charts, with a
// values file each, and c, whose values set a key its chart does not know (a finding).
func memoryProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"a", "b", "c"} {
		write(t, filepath.Join(dir, "charts", name, "Chart.yaml"), "apiVersion: v2\nname: "+name+"\nversion: 1.0.0\n")
		write(t, filepath.Join(dir, "charts", name, "values.yaml"), "greeting: hello\n")
		write(t, filepath.Join(dir, "charts", name, "templates", "cm.yaml"),
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-"+name+"\ndata:\n  greeting: {{ .Values.greeting | quote }}\n")
		write(t, filepath.Join(dir, name+".yaml"), "greeting: hi\n")
	}
	write(t, filepath.Join(dir, "kaji.yaml"), `apiVersion: kaji.dev/v1alpha1
project: test
releases:
  - name: a
    namespace: a
    chart: ./charts/a
    valuesFiles: [a.yaml]
    values: {greeting: inline}
  - name: b
    namespace: b
    chart: ./charts/b
    valuesFiles: [b.yaml]
  - name: c
    namespace: c
    chart: ./charts/c
    values: {greting: typo}
`)
	return dir
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkedBy runs a validation of dir with m and returns the releases whose checks ran, sorted,
// and the number of findings.
func checkedBy(t *testing.T, dir string, m Memory, opts Options) ([]string, int) {
	t.Helper()
	var mu sync.Mutex
	var checked []string
	opts.Memory = m
	opts.checked = func(r string) {
		mu.Lock()
		defer mu.Unlock()
		checked = append(checked, r)
	}
	rep, err := Run(context.Background(), dir, "", opts)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(checked)
	return checked, len(rep.Findings)
}

// TestMemorySkipsOnlyUnchangedCleanReleases counts the releases checked: a clean release is
// checked once, then not again until its chart, a values file, its inline values or an option
// changes; a release with findings is checked every time, and its findings reported.
func TestMemorySkipsOnlyUnchangedCleanReleases(t *testing.T) {
	dir := memoryProject(t)
	m := &mapMemory{}
	key := secretstest.NewAgeKey(t)
	steps := []struct {
		name   string
		change func()
		opts   Options
		want   []string
	}{
		{"first run", func() {}, Options{}, []string{"a", "b", "c"}},
		{"nothing changed", func() {}, Options{}, []string{"c"}},
		{"a values file", func() { write(t, filepath.Join(dir, "a.yaml"), "greeting: hey\n") }, Options{}, []string{"a", "c"}},
		{"a reference's version", func() {
			write(t, filepath.Join(dir, "a.yaml"), "greeting: ref+awssecrets://app/greeting?version_id=1\n")
		}, Options{}, []string{"a", "c"}},
		{"the same reference", func() {}, Options{}, []string{"c"}},
		{"another version of the reference", func() {
			write(t, filepath.Join(dir, "a.yaml"), "greeting: ref+awssecrets://app/greeting?version_id=2\n")
		}, Options{}, []string{"a", "c"}},
		{"a SOPS file", func() {
			write(t, filepath.Join(dir, "b.yaml"), string(key.EncryptYAML(t, []byte("greeting: one\n"))))
		}, Options{}, []string{"b", "c"}},
		{"the same SOPS file", func() {}, Options{}, []string{"c"}},
		{"the SOPS file with another value", func() {
			write(t, filepath.Join(dir, "b.yaml"), string(key.EncryptYAML(t, []byte("greeting: two\n"))))
		}, Options{}, []string{"b", "c"}},
		{"a template of b's chart", func() {
			write(t, filepath.Join(dir, "charts", "b", "templates", "more.yaml"), "# nothing\n")
		}, Options{}, []string{"b", "c"}},
		{"b's chart defaults", func() { write(t, filepath.Join(dir, "charts", "b", "values.yaml"), "greeting: hallo\n") }, Options{}, []string{"b", "c"}},
		{"inline values in kaji.yaml", func() {
			data, err := os.ReadFile(filepath.Join(dir, "kaji.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(dir, "kaji.yaml"), string(replaceOnce(t, data, "greeting: inline", "greeting: inline2")))
		}, Options{}, []string{"a", "c"}},
		{"the kube version", func() {}, Options{KubeVersion: "1.30.0"}, []string{"a", "b", "c"}},
		{"the same kube version again", func() {}, Options{KubeVersion: "1.30.0"}, []string{"c"}},
		{"strict", func() {}, Options{KubeVersion: "1.30.0", Strict: true}, []string{"a", "b", "c"}},
		{"back to the first options", func() {}, Options{}, []string{"c"}},
	}
	for _, s := range steps {
		s.change()
		got, findings := checkedBy(t, dir, m, s.opts)
		if !slices.Equal(got, s.want) {
			t.Errorf("%s: checked %v, want %v", s.name, got, s.want)
		}
		if findings != 1 {
			t.Errorf("%s: %d findings, want c's unknown key alone", s.name, findings)
		}
	}
}

// TestMemoryDoesNotHideANewFinding shows that a release remembered clean is checked when a
// change makes it fail, and its finding is reported.
func TestMemoryDoesNotHideANewFinding(t *testing.T) {
	dir := memoryProject(t)
	m := &mapMemory{}
	checkedBy(t, dir, m, Options{})
	write(t, filepath.Join(dir, "a.yaml"), "greeting: hi\ngreetnig: typo\n")
	got, findings := checkedBy(t, dir, m, Options{})
	if !slices.Equal(got, []string{"a", "c"}) || findings != 2 {
		t.Errorf("checked %v with %d findings, want [a c] with 2 (a's and c's unknown keys)", got, findings)
	}
}

// TestMemoryKeysByNameAndNamespace shows that a release remembered clean is checked again
// when only its name or namespace changes: a render can read both.
func TestMemoryKeysByNameAndNamespace(t *testing.T) {
	dir := memoryProject(t)
	m := &mapMemory{}
	checkedBy(t, dir, m, Options{})
	for _, change := range []struct{ what, old, new, want string }{
		{"namespace", "namespace: a\n", "namespace: a2\n", "a"},
		{"name", "name: a\n", "name: a2\n", "a2"},
	} {
		data, err := os.ReadFile(filepath.Join(dir, "kaji.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, "kaji.yaml"), string(replaceOnce(t, data, change.old, change.new)))
		if got, _ := checkedBy(t, dir, m, Options{}); !slices.Equal(got, []string{change.want, "c"}) {
			t.Errorf("a's %s changed: checked %v, want [%s c]", change.what, got, change.want)
		}
	}
}

func replaceOnce(t *testing.T, data []byte, old, new string) []byte {
	t.Helper()
	if !strings.Contains(string(data), old) {
		t.Fatalf("%q not found", old)
	}
	return []byte(strings.Replace(string(data), old, new, 1))
}

// Helm's loader lists a chart's subcharts in no fixed order (it reads charts/ into a map).
// The key must not change with that order, or a clean release with subcharts is checked again
// whenever a run loads them in another order.
func TestMemoryKeyDoesNotDependOnTheOrderOfSubcharts(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "charts", "parent", "Chart.yaml"), "apiVersion: v2\nname: parent\nversion: 1.0.0\n")
	for _, name := range []string{"one", "two", "three", "four", "five", "six", "seven", "eight"} {
		sub := filepath.Join(dir, "charts", "parent", "charts", name)
		write(t, filepath.Join(sub, "Chart.yaml"), "apiVersion: v2\nname: "+name+"\nversion: 1.0.0\n")
		write(t, filepath.Join(sub, "templates", "cm.yaml"),
			"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-"+name+"\n")
	}
	write(t, filepath.Join(dir, "kaji.yaml"), `apiVersion: kaji.dev/v1alpha1
project: test
releases:
  - name: subs
    namespace: subs
    chart: ./charts/parent
`)
	m := &mapMemory{}
	if got, n := checkedBy(t, dir, m, Options{}); !slices.Equal(got, []string{"subs"}) || n != 0 {
		t.Fatalf("first run: checked %v with %d findings, want [subs] clean", got, n)
	}
	// The loader's map lists eight subcharts in one of eight orders, about equally likely:
	// eight runs that all load them as the first did would be a chance of one in 16,777,216.
	for i := range 8 {
		if got, _ := checkedBy(t, dir, m, Options{}); len(got) != 0 {
			t.Fatalf("run %d: checked %v again, want nothing checked", i+2, got)
		}
	}
}
