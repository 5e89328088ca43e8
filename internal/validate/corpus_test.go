package validate

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/strvals"

	"kaji.dev/kaji/internal/render/corpus"
)

// corpusFile writes into dir one kaji.yaml that holds a release for every values file of the
// corpus that Helm renders: each chart's ci/ files, or its defaults for a chart without any,
// with the case's extra --set flags as inline values. It returns the file, the cases in
// release order, and the Kubernetes version of a real build of kaji.
func corpusFile(tb testing.TB, dir string) (string, []corpus.Case, string) {
	tb.Helper()
	root, err := corpus.Dir()
	if err != nil {
		tb.Fatal(err)
	}
	all, err := corpus.Cases(root)
	if err != nil {
		tb.Fatal(err)
	}
	hasCI := map[string]bool{}
	for _, c := range all {
		if c.ValuesFile != "" {
			hasCI[c.Chart] = true
		}
	}
	var cases []corpus.Case
	var releases []any
	for _, c := range all {
		if c.ValuesFile == "" && hasCI[c.Chart] {
			continue
		}
		rel := map[string]any{
			"name":      fmt.Sprintf("%s-%d", c.Chart, len(cases)),
			"namespace": "corpus",
			"chart":     c.ChartDir,
		}
		if c.ValuesFile != "" {
			rel["valuesFiles"] = []string{c.ValuesFile}
		}
		if inline := setFlags(tb, c); len(inline) > 0 {
			rel["values"] = inline
		}
		releases = append(releases, rel)
		cases = append(cases, c)
	}
	body, err := yaml.Marshal(map[string]any{
		"apiVersion": "kaji.dev/v1alpha1",
		"project":    "corpus",
		"releases":   releases,
	})
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "kaji.yaml")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		tb.Fatal(err)
	}
	kv, err := corpus.KubeVersion()
	if err != nil {
		tb.Fatal(err)
	}
	return path, cases, kv
}

// setFlags turns the --set flags of a corpus case into inline values.
func setFlags(tb testing.TB, c corpus.Case) map[string]any {
	tb.Helper()
	vals := map[string]any{}
	for i := 0; i < len(c.Flags); i++ {
		flag, arg, inline := strings.Cut(c.Flags[i], "=")
		if !inline && i+1 < len(c.Flags) {
			i++
			arg = c.Flags[i]
		}
		if flag != "--set" {
			tb.Fatalf("case %s: flag %s is not supported here", c, flag)
		}
		if err := strvals.ParseInto(arg, vals); err != nil {
			tb.Fatalf("case %s: --set %s: %v", c, arg, err)
		}
	}
	return vals
}

var corpusYAML = flag.String("corpus-yaml", "", "write the corpus kaji.yaml into this directory instead of testing it (hack/bench.sh times kaji validate on it)")

// TestCorpusHasNoFalsePositives validates one kaji.yaml that holds every corpus case as a
// release and expects no error and no unknown key: the values come from the charts' own
// maintainers, and Helm renders every one of them.
func TestCorpusHasNoFalsePositives(t *testing.T) {
	if *corpusYAML != "" {
		if err := os.MkdirAll(*corpusYAML, 0o755); err != nil {
			t.Fatal(err)
		}
		path, _, _ := corpusFile(t, *corpusYAML)
		t.Skipf("wrote %s", path)
	}
	if testing.Short() {
		t.Skip("renders the whole corpus")
	}
	path, cases, kv := corpusFile(t, t.TempDir())
	if len(cases) < 60 {
		t.Fatalf("only %d corpus cases; the manifest lists about 65 values files", len(cases))
	}
	rep, err := Run(context.Background(), path, "", Options{KubeVersion: kv})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Releases) != len(cases) {
		t.Errorf("%d releases checked, want %d", len(rep.Releases), len(cases))
	}
	infos := 0
	for _, f := range rep.Findings {
		switch {
		case f.Severity == Error, f.Code == CodeUnknownKey, f.Code == CodeAnalysis:
			t.Errorf("%s %s %s: %s %s: %s", f.Severity, f.Code, f.Release, f.Pos, KeyPath(f.Path), f.Message)
		default:
			infos++
		}
	}
	t.Logf("%d releases, %d findings that are not mistakes (no-effect)", len(rep.Releases), infos)
}
