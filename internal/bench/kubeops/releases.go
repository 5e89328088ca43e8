package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"helm.sh/helm/v4/pkg/strvals"
)

// helmCreateChart and corpusChart are the values of -chart that are no chart directory.
const (
	helmCreateChart = "helm-create"
	corpusChart     = "corpus"
)

// release is one release of the benchmark and everything kaji.yaml and the helm CLI get for
// it: the same chart, values files and --set flags, one namespace each.
type release struct {
	name, namespace, chart string
	// origin names the chart for the report: a corpus chart's name, or how it was made.
	origin string
	// valuesFiles are absolute paths: kaji.yaml's valuesFiles, helm's -f flags.
	valuesFiles []string
	// sets are --set arguments ("a.b=c"): kaji.yaml's inline values, helm's --set flags.
	sets []string
	// key is the dotted path of the value that the benchmark sets to v1, and changes on
	// release 0 for the one-change operations: a pod annotation (or a ConfigMap key).
	key string
}

func nsName(i int) string { return fmt.Sprintf("bench-%02d", i) }

// makeReleases fills b.releases from -chart and -n and says what they are, for the report.
func (b *bench) makeReleases() (string, error) {
	n := b.cfg.n
	copies := func(from int, chart, origin, key string) {
		for i := from; i < n; i++ {
			b.releases = append(b.releases, release{name: fmt.Sprintf("app%02d", i), namespace: nsName(i),
				chart: chart, origin: origin, key: key})
		}
	}
	switch b.cfg.chart {
	case helmCreateChart:
		chart, err := b.helmCreate()
		if err != nil {
			return "", err
		}
		copies(0, chart, "helm create", helmCreateKey)
		return fmt.Sprintf("copies of the chart `helm create` generates (Deployment, Service, ServiceAccount), values `%s: v1`", helmCreateKey), nil
	case corpusChart:
		rels, err := corpusReleases(b.cfg.corpusDir, n)
		if err != nil {
			return "", err
		}
		b.releases = rels
		chart, err := b.helmCreate()
		if err != nil {
			return "", err
		}
		copies(len(rels), chart, "helm create", helmCreateKey)
		what := fmt.Sprintf("%d from the shared chart corpus (below), each with a pod annotation `greeting: v1` set", len(rels))
		if n > len(rels) {
			what += fmt.Sprintf(", and %d copies of the chart `helm create` generates, values `%s: v1`", n-len(rels), helmCreateKey)
		}
		return what, nil
	default:
		chart, err := filepath.Abs(b.cfg.chart)
		if err != nil {
			return "", err
		}
		copies(0, chart, b.cfg.chart, "greeting")
		return fmt.Sprintf("copies of `%s` (Deployment, Service, ConfigMap), values `greeting: v1`", b.cfg.chart), nil
	}
}

// helmCreateKey is a pod annotation of the chart that `helm create` generates.
const helmCreateKey = "podAnnotations.greeting"

// helmCreate makes the chart that the helm CLI under test generates (Deployment, Service,
// ServiceAccount), as in the reference figures of helmfile and the helm CLI.
func (b *bench) helmCreate() (string, error) {
	chart := filepath.Join(b.dir, "bench")
	cmd := exec.Command(b.cfg.helm, "create", chart)
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+filepath.Join(b.dir, "helm-config"), "HELM_DATA_HOME="+filepath.Join(b.dir, "helm-data"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("helm create: %w\n%s", err, out)
	}
	return chart, nil
}

// values returns the inline values of r in kaji.yaml: its --set flags, then key=value, parsed
// as the helm CLI parses them.
func (r release) values(value string) (map[string]any, error) {
	vals := map[string]any{}
	for _, s := range append(append([]string(nil), r.sets...), r.key+"="+value) {
		if err := strvals.ParseInto(s, vals); err != nil {
			return nil, fmt.Errorf("release %s: --set %s: %w", r.name, s, err)
		}
	}
	return vals, nil
}

// helmArgs returns the helm flags that give r its values, with key=value last.
func (r release) helmArgs(value string) []string {
	var args []string
	for _, f := range r.valuesFiles {
		args = append(args, "-f", f)
	}
	for _, s := range r.sets {
		args = append(args, "--set", s)
	}
	return append(args, "--set", r.key+"="+value)
}

// inline returns the values of r, release i of the benchmark, as JSON, which is YAML (a flow
// mapping, quoted strings): release 0 gets first as its changing value, the others "v1".
func (r release) inline(i int, first string) ([]byte, error) {
	g := "v1"
	if i == 0 {
		g = first
	}
	vals, err := r.values(g)
	if err != nil {
		return nil, err
	}
	return json.Marshal(vals)
}

// writeSpec writes kaji.yaml; release 0 gets first as the changing value, the others "v1".
func (b *bench) writeSpec(first string) error {
	var s strings.Builder
	s.WriteString("apiVersion: kaji.dev/v1alpha1\nproject: bench\nreleases:\n")
	for i, r := range b.releases {
		inline, err := r.inline(i, first)
		if err != nil {
			return err
		}
		fmt.Fprintf(&s, "  - name: %s\n    namespace: %s\n    chart: %s\n", r.name, r.namespace, r.chart)
		if len(r.valuesFiles) > 0 {
			files, err := json.Marshal(r.valuesFiles)
			if err != nil {
				return err
			}
			fmt.Fprintf(&s, "    valuesFiles: %s\n", files)
		}
		fmt.Fprintf(&s, "    values: %s\n", inline)
	}
	return os.WriteFile(filepath.Join(b.dir, "kaji.yaml"), []byte(s.String()), 0o644)
}

// printReleases prints the releases that do not come from -chart's copies as a table.
func (b *bench) printReleases() {
	fmt.Println("| release | chart | values file | --set flags (the same in kaji.yaml as inline values) |")
	fmt.Println("|---|---|---|---|")
	copies := 0
	for _, r := range b.releases {
		if r.origin == "helm create" {
			copies++
			continue
		}
		var files []string
		for _, f := range r.valuesFiles {
			files = append(files, "`"+filepath.ToSlash(strings.TrimPrefix(f, r.chart+string(filepath.Separator)))+"`")
		}
		if len(files) == 0 {
			files = []string{"(defaults)"}
		}
		sets := []string{}
		for _, s := range append(append([]string(nil), r.sets...), r.key+"=v1") {
			sets = append(sets, "`"+s+"`")
		}
		fmt.Printf("| %s | %s | %s | %s |\n", r.name, r.origin, strings.Join(files, ", "), strings.Join(sets, " "))
	}
	if copies > 0 {
		fmt.Printf("| app%02d … app%02d | `helm create` | (defaults) | `%s=v1` |\n", b.cfg.n-copies, b.cfg.n-1, helmCreateKey)
	}
	fmt.Println()
}
