// Package corpus reads the shared corpus of real Helm charts that the tests and benchmarks of
// kaji's rendering and values analysis run against: its manifest, its charts and the values
// cases (each chart's ci/ values files and its default render) that Helm renders.
package corpus

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"
)

// Entry is one chart of MANIFEST.json, the fields that tests need.
type Entry struct {
	Name          string   `json:"name"`
	RenderOK      bool     `json:"renderOK"`
	DefaultRender *Flagged `json:"defaultRender"`
	CIValues      []CIFile `json:"ciValues"`
}

// Flagged says whether a render works and with which extra helm flags.
type Flagged struct {
	Renders    bool     `json:"renders"`
	ExtraFlags []string `json:"extraFlags"`
}

// CIFile is one ci/ values file of a chart.
type CIFile struct {
	File string `json:"file"`
	Flagged
}

// Case is one render that Helm succeeds at: a chart with a values file or with its defaults,
// plus extra flags.
type Case struct {
	// Chart is the chart's directory name in the corpus.
	Chart string
	// Name is "default" or the values file relative to the chart, such as "ci/values.yaml".
	Name string
	// ChartDir is the chart's directory.
	ChartDir string
	// ValuesFile is the values file's path, or "" for the default render.
	ValuesFile string
	// Flags are the extra helm flags of the case.
	Flags []string
}

// Dir finds the corpus: ../shared/charts next to the root of the Go module that holds the
// working directory.
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			dir := filepath.Join(d, "..", "shared", "charts")
			if _, err := os.Stat(filepath.Join(dir, "MANIFEST.json")); err != nil {
				return "", fmt.Errorf("chart corpus expected at %s: %w", dir, err)
			}
			return dir, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s, so no chart corpus", wd)
		}
	}
}

// KubeVersion is the Kubernetes version of Helm's default capabilities in a real build of this
// module: Helm derives it from the k8s.io/client-go version the binary is built with (v0.37.1
// gives v1.37.0), but test binaries carry no module information and get v1.20.0, which some
// charts reject. It reads go.mod in the module root that holds the working directory.
func KubeVersion() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			for line := range strings.Lines(string(b)) {
				f := strings.Fields(line)
				if len(f) >= 2 && f[0] == "k8s.io/client-go" {
					var minor int
					if _, err := fmt.Sscanf(f[1], "v0.%d.", &minor); err != nil {
						return "", fmt.Errorf("client-go version %s in go.mod: %w", f[1], err)
					}
					return fmt.Sprintf("v1.%d.0", minor), nil
				}
			}
			return "", errors.New("go.mod requires no k8s.io/client-go")
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
	}
}

// Manifest reads MANIFEST.json of the corpus in dir.
func Manifest(dir string) ([]Entry, error) {
	b, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		return nil, fmt.Errorf("read corpus manifest: %w", err)
	}
	var entries []Entry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("parse corpus manifest: %w", err)
	}
	if len(entries) == 0 {
		return nil, errors.New("corpus manifest lists no charts")
	}
	return entries, nil
}

// Cases lists every render of the corpus in dir that Helm succeeds at: each chart's default
// render where it works, and each ci/ values file that renders.
func Cases(dir string) ([]Case, error) {
	entries, err := Manifest(dir)
	if err != nil {
		return nil, err
	}
	var cases []Case
	for _, e := range entries {
		chartDir := filepath.Join(dir, e.Name)
		switch {
		case e.RenderOK:
			cases = append(cases, Case{Chart: e.Name, Name: "default", ChartDir: chartDir})
		case e.DefaultRender != nil && e.DefaultRender.Renders:
			cases = append(cases, Case{Chart: e.Name, Name: "default", ChartDir: chartDir, Flags: e.DefaultRender.ExtraFlags})
		}
		for _, f := range e.CIValues {
			if !f.Renders {
				continue
			}
			cases = append(cases, Case{
				Chart: e.Name, Name: f.File, ChartDir: chartDir,
				ValuesFile: filepath.Join(chartDir, filepath.FromSlash(f.File)), Flags: f.ExtraFlags,
			})
		}
	}
	return cases, nil
}

// LoadChart loads the chart of c.
func (c Case) LoadChart() (*chartv2.Chart, error) {
	ch, err := loader.LoadDir(c.ChartDir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", c.Chart, err)
	}
	return ch, nil
}

// Values returns the user values of c: the values file, then the --set flags, merged as the
// Helm CLI merges them.
func (c Case) Values() (map[string]any, error) {
	vals := map[string]any{}
	if c.ValuesFile != "" {
		f, err := os.Open(c.ValuesFile)
		if err != nil {
			return nil, fmt.Errorf("read values: %w", err)
		}
		defer f.Close()
		m, err := loader.LoadValues(f)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", c.ValuesFile, err)
		}
		vals = m
	}
	for i := 0; i < len(c.Flags); i++ {
		flag, arg, inline := strings.Cut(c.Flags[i], "=")
		if !inline {
			if i+1 >= len(c.Flags) {
				return nil, fmt.Errorf("flag %s of case %s has no argument", flag, c)
			}
			i++
			arg = c.Flags[i]
		}
		var err error
		switch flag {
		case "--set":
			err = strvals.ParseInto(arg, vals)
		case "--set-string":
			err = strvals.ParseIntoString(arg, vals)
		default:
			return nil, fmt.Errorf("flag %s of case %s is not supported", flag, c)
		}
		if err != nil {
			return nil, fmt.Errorf("flag %s %s of case %s: %w", flag, arg, c, err)
		}
	}
	return vals, nil
}

// String names the case as "chart/values-file".
func (c Case) String() string { return c.Chart + "/" + c.Name }

// Loaded is a case with its chart and values loaded.
type Loaded struct {
	Case
	Chart  *chartv2.Chart
	Values map[string]any
}

// Load loads the cases for which keep returns true (all of them when keep is nil). Cases of
// the same chart share one loaded chart.
func Load(cases []Case, keep func(Case) bool) ([]Loaded, error) {
	charts := map[string]*chartv2.Chart{}
	var out []Loaded
	for _, c := range cases {
		if keep != nil && !keep(c) {
			continue
		}
		ch, ok := charts[c.Chart]
		if !ok {
			var err error
			if ch, err = c.LoadChart(); err != nil {
				return nil, err
			}
			charts[c.Chart] = ch
		}
		vals, err := c.Values()
		if err != nil {
			return nil, err
		}
		out = append(out, Loaded{Case: c, Chart: ch, Values: vals})
	}
	return out, nil
}
