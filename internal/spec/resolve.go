package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"kaji.dev/kaji/internal/ignore"
)

// Resolve applies environment env (empty for none) and returns the releases to work on, in
// dependency order, with their values layers and absolute paths.
func (d *Document) Resolve(env string) (*Resolved, error) {
	var e Environment
	if env != "" {
		var ok bool
		if e, ok = d.File.Environments[env]; !ok {
			return nil, d.unknownEnvironment(env)
		}
	}
	cluster, err := d.resolveCluster(e.Cluster)
	if err != nil {
		return nil, err
	}
	out := &Resolved{
		Project:      d.File.Project,
		Environment:  env,
		Dir:          d.Dir,
		Cluster:      cluster,
		Repositories: maps.Clone(d.File.Repositories),
	}
	off := map[string]switched{}
	for i, r := range d.File.Releases {
		s := d.enabledIn(i, env, e.Releases[r.Name])
		off[r.Name] = s
		if s.off {
			out.Disabled = append(out.Disabled, DisabledRelease{Name: r.Name, Namespace: r.Namespace, Labels: maps.Clone(r.Labels), Reason: s.reason, Pos: d.Pos("releases", i)})
		}
	}
	if ps := d.checkNeedsEnabled(env, off); len(ps) > 0 {
		return nil, ps
	}
	for _, i := range dependencyOrder(d.File.Releases) {
		r := d.File.Releases[i]
		if off[r.Name].off {
			continue
		}
		rr, err := d.resolveRelease(i, env, e.Releases[r.Name])
		if err != nil {
			return nil, fmt.Errorf("release %s: %w", r.Name, err)
		}
		out.Releases = append(out.Releases, rr)
	}
	return out, nil
}

// Reverse returns the releases in the order to remove them: every release before those it needs.
func (r *Resolved) Reverse() []ResolvedRelease {
	out := slices.Clone(r.Releases)
	slices.Reverse(out)
	return out
}

func (d *Document) unknownEnvironment(env string) error {
	defined := sortedKeys(d.File.Environments)
	if len(defined) == 0 {
		return fmt.Errorf("unknown environment %q: %s defines no environments", env, d.name)
	}
	msg := fmt.Sprintf("unknown environment %q", env)
	if hint := didYouMean(env, defined); hint != "" {
		msg += " (" + hint + ")"
	}
	return fmt.Errorf("%s; %s defines: %s", msg, d.name, strings.Join(defined, ", "))
}

// resolveCluster lays the fields the environment's cluster sets over the top-level cluster.
// eks is replaced as a whole, not field by field.
func (d *Document) resolveCluster(override *Cluster) (Cluster, error) {
	c := d.File.Cluster
	if o := override; o != nil {
		if o.KubeContext != "" {
			c.KubeContext = o.KubeContext
		}
		if o.Kubeconfig != "" {
			c.Kubeconfig = o.Kubeconfig
		}
		if o.EKS != nil {
			c.EKS = o.EKS
		}
	}
	if c.EKS != nil {
		eks := *c.EKS
		c.EKS = &eks
	}
	if c.Kubeconfig != "" {
		abs, err := absPath(d.Dir, c.Kubeconfig)
		if err != nil {
			return Cluster{}, fmt.Errorf("kubeconfig: %w", err)
		}
		c.Kubeconfig = abs
	}
	return c, nil
}

func (d *Document) resolveRelease(i int, env string, o ReleaseOverride) (ResolvedRelease, error) {
	r := d.File.Releases[i]
	ref, err := classifyChart(r.Chart, d.File.Repositories, d.Dir)
	if err != nil {
		return ResolvedRelease{}, fmt.Errorf("chart: %w", err)
	}
	chart := r.Chart
	if ref.Kind == ChartLocal {
		chart = ref.Path
	}
	version := r.Version
	if o.Version != "" {
		version = o.Version
	}
	createNamespace := true
	if r.CreateNamespace != nil {
		createNamespace = *r.CreateNamespace
	}

	timeout, _ := time.ParseDuration(r.Timeout)
	maxHistory := DefaultMaxHistory
	for _, m := range []*int{d.File.MaxHistory, r.MaxHistory} {
		if m != nil {
			maxHistory = *m
		}
	}
	crds := DefaultCRDMode
	for _, m := range []CRDMode{d.File.CRDs, r.CRDs, o.CRDs} {
		if m != "" {
			crds = m
		}
	}
	forceConflicts := r.ForceConflicts
	if o.ForceConflicts != nil {
		forceConflicts = *o.ForceConflicts
	}
	rules, err := ignoreRules(slices.Concat(r.IgnoreDifferences, o.IgnoreDifferences))
	if err != nil {
		return ResolvedRelease{}, err
	}

	var layers []ValuesLayer
	add := func(files []string, inline map[string]any, at path) error {
		for j, f := range files {
			abs, err := absPath(d.Dir, f)
			if err != nil {
				return fmt.Errorf("values file: %w", err)
			}
			layers = append(layers, ValuesLayer{File: abs, Origin: d.Pos(at.with("valuesFiles", j)...)})
		}
		if len(inline) > 0 {
			layers = append(layers, ValuesLayer{Inline: copyValues(inline), Origin: d.Pos(at.with("values")...)})
		}
		return nil
	}
	if err := add(r.ValuesFiles, r.Values, path{"releases", i}); err != nil {
		return ResolvedRelease{}, err
	}
	if err := add(o.ValuesFiles, o.Values, path{"environments", env, "releases", r.Name}); err != nil {
		return ResolvedRelease{}, err
	}

	return ResolvedRelease{
		Name:              r.Name,
		Namespace:         r.Namespace,
		Chart:             chart,
		ChartKind:         ref.Kind,
		Version:           version,
		Values:            layers,
		Needs:             slices.Clone(r.Needs),
		Labels:            maps.Clone(r.Labels),
		CreateNamespace:   createNamespace,
		Wait:              r.Wait,
		Timeout:           timeout, // validated by Load
		MaxHistory:        maxHistory,
		ForceConflicts:    forceConflicts,
		Ignore:            rules,
		CRDs:              crds,
		RollbackOnFailure: r.RollbackOnFailure,
		Adopt:             r.Adopt,
		AcceptDroppedKeys: slices.Concat(r.AcceptDroppedKeys, o.AcceptDroppedKeys),
		Pos:               d.Pos("releases", i),
	}, nil
}

// ignoreRules compiles ignoreDifferences entries, which Load has validated.
func ignoreRules(ds []IgnoreDifference) (ignore.Rules, error) {
	var rules ignore.Rules
	for _, d := range ds {
		r := ignore.Rule{Group: d.Group, Kind: d.Kind, Name: d.Name}
		for _, s := range d.Paths {
			p, err := ignore.ParsePointer(s)
			if err != nil {
				return nil, fmt.Errorf("ignoreDifferences: %w", err)
			}
			r.Paths = append(r.Paths, p)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// copyValues deep-copies values, so that callers may merge into the result (Helm's coalescing
// does) without changing the Document.
func copyValues(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return copyValues(v)
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = copyValue(item)
		}
		return out
	default:
		return v
	}
}
