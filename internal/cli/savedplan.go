package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/plan"
	"kaji.dev/kaji/internal/savedplan"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/version"
)

// save writes the plan of r to path (kaji plan --out), with what it was computed from: sel
// and opts as the command line gave them.
func (r *planRun) save(ctx context.Context, path string, sel spec.Selection, opts plan.Options) error {
	s := r.session
	id, err := r.conn.ID(ctx)
	if err != nil {
		return fmt.Errorf("no plan was written to %s: %w", path, err)
	}
	var files []string
	for _, rel := range s.resolved.Releases {
		for _, l := range rel.Values {
			if l.File != "" {
				files = append(files, l.File)
			}
		}
	}
	f, err := savedplan.New(r.plan, savedplan.Source{
		KajiVersion: version.Get().Version,
		Cluster:     savedplan.Cluster{Context: r.conn.Context(), Server: r.conn.Host(), ID: id},
		KajiYAML:    s.path, ValuesFiles: files, Lock: s.charts.Path(),
		Selection: savedSelection(sel),
		Options:   savedplan.Options{Prune: opts.Prune, Adopt: opts.Adopt, ForceConflicts: opts.ForceConflicts, ForceCRDs: opts.ForceCRDs, AcceptDroppedKeys: opts.AcceptDroppedKeys},
		Created:   r.plan.Time,
	})
	if err != nil {
		return fmt.Errorf("no plan was written to %s: %w", path, err)
	}
	return savedplan.Write(path, f)
}

// savedSelection is sel as a saved plan keeps it.
func savedSelection(sel spec.Selection) savedplan.Selection {
	out := savedplan.Selection{Releases: sel.Names, SkipNeeds: sel.SkipNeeds}
	for _, l := range sel.Selectors {
		out.Selectors = append(out.Selectors, l.String())
	}
	return out
}

// useSavedPlan reads the plan of apply --plan, checks that it was made by this kaji and that
// the files it was computed from did not change, and sets what shapes the plan (--env, the
// selection, --prune, --adopt, --force-conflicts, --force-crds) from it. Such a flag given
// with a value other than the plan's is a usage error. It makes no request.
func (f *applyFlags) useSavedPlan(cmd *cobra.Command, g *globalFlags, args []string) (*savedplan.File, spec.Selection, error) {
	if f.deleteCRDs {
		// A saved plan shows what apply does; the deletion of CRDs and of every custom
		// resource of theirs is not in it, and is not to be done on a plan that did not show it.
		return nil, spec.Selection{}, &UsageError{Err: fmt.Errorf("--delete-crds cannot be given with --plan: a saved plan does not show the deletion of CRDs and of their custom resources; run kaji apply --prune --delete-crds without --plan, or kaji destroy --delete-crds")}
	}
	saved, err := savedplan.Read(f.plan)
	if err != nil {
		return nil, spec.Selection{}, err
	}
	if v := version.Get().Version; saved.KajiVersion != v {
		return nil, spec.Selection{}, fmt.Errorf("%s was made by kaji %s, and this is kaji %s: run kaji plan --out %s again with this kaji", f.plan, saved.KajiVersion, v, f.plan)
	}
	var conflicts []string
	changed := func(name string) bool {
		fl := cmd.Flag(name)
		return fl != nil && fl.Changed
	}
	if changed("env") && g.env != saved.Environment {
		conflicts = append(conflicts, fmt.Sprintf("--env %s (the plan's environment is %q)", g.env, saved.Environment))
	}
	given, err := f.selection.selection(args)
	if err != nil {
		return nil, spec.Selection{}, err
	}
	if !given.All() || changed("skip-needs") {
		if s := savedSelection(given); !sameSet(s.Releases, saved.Selection.Releases) ||
			!sameSet(s.Selectors, saved.Selection.Selectors) || s.SkipNeeds != saved.Selection.SkipNeeds {
			conflicts = append(conflicts, fmt.Sprintf("the selection %s (the plan's is %s)", describeSelection(s), describeSelection(saved.Selection)))
		}
	}
	for _, b := range []struct {
		name  string
		given *bool
		saved bool
	}{
		{"prune", &f.prune, saved.Options.Prune},
		{"adopt", &f.adopt, saved.Options.Adopt},
		{"force-conflicts", &f.forceConflicts, saved.Options.ForceConflicts},
		{"force-crds", &f.forceCRDs, saved.Options.ForceCRDs},
		{"accept-dropped-keys", &f.acceptDropped, saved.Options.AcceptDroppedKeys},
	} {
		if changed(b.name) && *b.given != b.saved {
			conflicts = append(conflicts, fmt.Sprintf("--%s=%t (the plan was made with %t)", b.name, *b.given, b.saved))
		}
		*b.given = b.saved
	}
	if len(conflicts) > 0 {
		return nil, spec.Selection{}, &UsageError{Err: fmt.Errorf("--plan applies %s as it was made, which %s disagrees with: drop it, or run kaji plan --out again with it",
			f.plan, strings.Join(conflicts, " and "))}
	}
	g.env = saved.Environment
	sel := spec.Selection{Names: saved.Selection.Releases, SkipNeeds: saved.Selection.SkipNeeds}
	for _, text := range saved.Selection.Selectors {
		l, err := spec.ParseSelector(text)
		if err != nil {
			return nil, spec.Selection{}, fmt.Errorf("%s: selector %q: %w", f.plan, text, err)
		}
		sel.Selectors = append(sel.Selectors, l)
	}
	if err := saved.CheckFiles(kajiYAMLPath(g.file)); err != nil {
		return nil, spec.Selection{}, err
	}
	return saved, sel, nil
}

// sameSet reports whether a and b hold the same strings, in whatever order and however often.
func sameSet(a, b []string) bool {
	norm := func(l []string) []string {
		l = slices.Clone(l)
		slices.Sort(l)
		return slices.Compact(l)
	}
	return slices.Equal(norm(a), norm(b))
}

// describeSelection says what a selection picks, as the command line gives it.
func describeSelection(s savedplan.Selection) string {
	if s.All() {
		return "the whole project"
	}
	var parts []string
	for _, l := range s.Selectors {
		parts = append(parts, "-l "+l)
	}
	parts = append(parts, s.Releases...)
	if s.SkipNeeds {
		parts = append(parts, "--skip-needs")
	}
	return strings.Join(parts, " ")
}

// kajiYAMLPath is the path of kaji.yaml that -f names, as spec.Load finds it: the file, or
// kaji.yaml in the directory.
func kajiYAMLPath(file string) string {
	if st, err := os.Stat(file); err == nil && st.IsDir() {
		file = filepath.Join(file, spec.DefaultFile)
	}
	if abs, err := filepath.Abs(file); err == nil {
		return abs
	}
	return file
}

// checkCluster refuses a saved plan made against another cluster than the session's: another
// API server, or another cluster behind the same address (its kube-system namespace's uid).
func (s *session) checkCluster(ctx context.Context, saved *savedplan.File) error {
	if saved.Cluster.Server == s.conn.Host() {
		if saved.Cluster.ID == "" {
			return nil
		}
		id, err := s.conn.ID(ctx)
		if err != nil {
			return fmt.Errorf("nothing was applied: %w", err)
		}
		if id == saved.Cluster.ID {
			return nil
		}
		return fmt.Errorf("%s was made against another cluster at %s (kube-system namespace uid %s; this one's is %q): the cluster was made again, or another one answers at that address; nothing was applied; run kaji plan --out %s against this cluster",
			saved.Path(), saved.Cluster.Server, saved.Cluster.ID, id, saved.Path())
	}
	return fmt.Errorf("%s was made against context %s (%s), and this run connects to context %s (%s): nothing was applied; run kaji plan --out %s against this cluster",
		saved.Path(), saved.Cluster.Context, saved.Cluster.Server, s.conn.Context(), s.conn.Host(), saved.Path())
}
