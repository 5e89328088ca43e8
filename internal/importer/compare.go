package importer

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// definition is what decides a release's render: where it goes, its chart and its values.
type definition struct {
	Namespace string
	Chart     string
	// ChartName is the chart's own name, for comparing a repository chart with a stored one.
	ChartName string
	Version   string
	Values    map[string]any
}

// declared returns what kaji.yaml says of release i, in env when env is not empty.
func declared(doc *spec.Document, i int, env string) (definition, error) {
	r := doc.File.Releases[i]
	d := definition{Namespace: r.Namespace, Chart: r.Chart, Version: r.Version}
	layers := layersOf(doc.Dir, r.ValuesFiles, r.Values)
	if env != "" {
		if o, ok := doc.File.Environments[env].Releases[r.Name]; ok {
			if o.Version != "" {
				d.Version = o.Version
			}
			layers = append(layers, layersOf(doc.Dir, o.ValuesFiles, o.Values)...)
		}
	}
	v, err := values.Merge(layers)
	if err != nil {
		return d, fmt.Errorf("release %s: %w", r.Name, err)
	}
	d.Values = v
	d.ChartName = chartName(doc.Dir, r.Chart)
	return d, nil
}

func layersOf(dir string, files []string, inline map[string]any) []spec.ValuesLayer {
	var out []spec.ValuesLayer
	for _, f := range files {
		p := f
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, f)
		}
		out = append(out, spec.ValuesLayer{File: p})
	}
	if len(inline) > 0 {
		out = append(out, spec.ValuesLayer{Inline: inline})
	}
	return out
}

// chartName is the name of the chart a reference points to: the last element of repo/name
// or an oci:// reference, and the name in Chart.yaml of a local chart.
func chartName(dir, ref string) string {
	if strings.HasPrefix(ref, "oci://") || (!strings.HasPrefix(ref, ".") && !strings.HasPrefix(ref, "/") && strings.Count(ref, "/") == 1) {
		return path.Base(ref)
	}
	p := ref
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, ref)
	}
	b, err := os.ReadFile(filepath.Join(p, "Chart.yaml"))
	if err != nil {
		return filepath.Base(p)
	}
	var meta struct {
		Name string `json:"name"`
	}
	if yaml.Unmarshal(b, &meta) != nil || meta.Name == "" {
		return filepath.Base(p)
	}
	return meta.Name
}

// normalized reads values as kaji reads inline values, so that found and declared values
// compare as the chart would see them.
func normalized(v map[string]any) (map[string]any, error) {
	if len(v) == 0 {
		return map[string]any{}, nil
	}
	return values.Merge([]spec.ValuesLayer{{Inline: v}})
}

// differences lists what differs between what kaji.yaml declares and what was found, one line
// per field or value path, with secret-looking values masked.
func differences(have, want definition, chartKnown bool) []string {
	var out []string
	if have.Namespace != want.Namespace {
		out = append(out, fmt.Sprintf("namespace: %s → %s", have.Namespace, want.Namespace))
	}
	switch {
	case chartKnown && have.Chart != want.Chart:
		out = append(out, fmt.Sprintf("chart: %s → %s", have.Chart, want.Chart))
	case !chartKnown && have.ChartName != want.ChartName:
		out = append(out, fmt.Sprintf("chart: %s (chart %s) → chart %s", have.Chart, have.ChartName, want.ChartName))
	}
	if !admits(have.Version, want.Version) {
		out = append(out, fmt.Sprintf("version: %s → %s", orNewest(have.Version), want.Version))
	}
	diffValues("values", have.Values, want.Values, &out)
	return out
}

func orNewest(v string) string {
	if v == "" {
		return "(newest)"
	}
	return v
}

// admits says whether a declared version or constraint resolves to the found version.
func admits(declared, found string) bool {
	if declared == found {
		return true
	}
	if declared == "" || found == "" {
		return false
	}
	c, err := semver.NewConstraint(declared)
	if err != nil {
		return false
	}
	v, err := semver.NewVersion(found)
	if err != nil {
		return false
	}
	return c.Check(v)
}

func diffValues(p string, have, want any, out *[]string) {
	hm, hok := have.(map[string]any)
	wm, wok := want.(map[string]any)
	if hok && wok {
		keys := slices.Sorted(maps.Keys(hm))
		for k := range wm {
			if _, ok := hm[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			hv, hin := hm[k]
			wv, win := wm[k]
			q := p + "." + k
			switch {
			case !hin:
				*out = append(*out, fmt.Sprintf("%s: (unset) → %s", q, shown(k, wv)))
			case !win:
				*out = append(*out, fmt.Sprintf("%s: %s → (unset)", q, shown(k, hv)))
			default:
				diffValues(q, hv, wv, out)
			}
		}
		return
	}
	if reflect.DeepEqual(have, want) {
		return
	}
	leaf := p[strings.LastIndex(p, ".")+1:]
	*out = append(*out, fmt.Sprintf("%s: %s → %s", p, shown(leaf, have), shown(leaf, want)))
}

// shown prints a value for a difference line, with the values under secret-looking keys
// masked at any depth.
func shown(key string, v any) string {
	if IsSecretKey(key) && !empty(v) {
		return "(secret)"
	}
	v = masked(v)
	b, err := yaml.Marshal(v)
	if err != nil {
		return "(unprintable)"
	}
	s := strings.TrimSpace(string(b))
	if strings.Contains(s, "\n") {
		b, _ := jsonCompact(v)
		return b
	}
	return s
}

// masked is a copy of v in which every value under a secret-looking key is "(secret)".
func masked(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if IsSecretKey(k) && !empty(e) {
				out[k] = "(secret)"
				continue
			}
			out[k] = masked(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = masked(e)
		}
		return out
	}
	return v
}

// patch returns the values that, merged over base as kaji merges values, give want, and the
// paths that base sets and want does not: a merge cannot unset them.
func patch(base, want map[string]any) (map[string]any, []string) {
	out := map[string]any{}
	var unset []string
	patchInto("", base, want, out, &unset)
	return out, unset
}

func patchInto(p string, base, want, out map[string]any, unset *[]string) {
	for _, k := range slices.Sorted(maps.Keys(want)) {
		wv := want[k]
		bv, ok := base[k]
		switch {
		case !ok:
			out[k] = wv
		case reflect.DeepEqual(bv, wv):
		default:
			bm, bok := bv.(map[string]any)
			wm, wok := wv.(map[string]any)
			if bok && wok {
				sub := map[string]any{}
				patchInto(joinPath(p, k), bm, wm, sub, unset)
				if len(sub) > 0 {
					out[k] = sub
				}
				continue
			}
			out[k] = wv
		}
	}
	for _, k := range slices.Sorted(maps.Keys(base)) {
		if _, ok := want[k]; !ok {
			*unset = append(*unset, joinPath(p, k))
		}
	}
}

func jsonCompact(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
