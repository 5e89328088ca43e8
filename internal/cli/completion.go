package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"kaji.dev/kaji/internal/spec"
)

// Shell completion (kaji completion bash|zsh|fish|powershell) completes release names,
// environments and labels from kaji.yaml: the file of -f, read offline. A file that does not
// validate still completes; one that cannot be read completes nothing.

// completions registers the completion of release names, --env, -l and --release on the
// commands of root.
func (g *globalFlags) completions(root *cobra.Command) {
	_ = root.RegisterFlagCompletionFunc("env", g.completeEnvironments)
	for _, c := range root.Commands() {
		switch c.Name() {
		case "plan", "apply", "destroy", "status":
			c.ValidArgsFunction = g.completeReleases
			_ = c.RegisterFlagCompletionFunc("selector", g.completeLabels)
			if c.Flags().Lookup("release") != nil {
				_ = c.RegisterFlagCompletionFunc("release", g.completeReleases)
			}
		case "unlock":
			c.ValidArgsFunction = func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return g.completeReleases(cmd, args, toComplete)
			}
		}
	}
}

// completionDoc reads kaji.yaml for completion, or returns nil.
func (g *globalFlags) completionDoc() *spec.Document {
	path := g.file
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		path = filepath.Join(path, spec.DefaultFile)
	}
	doc, _, err := spec.LoadDraft(path)
	if err != nil {
		return nil
	}
	return doc
}

// completionReleases are the releases to complete: those of --env when the file resolves
// with it, else every release the file declares.
func (g *globalFlags) completionReleases(doc *spec.Document) []spec.Release {
	res, err := doc.Resolve(g.env)
	if err != nil {
		return doc.File.Releases
	}
	var out []spec.Release
	for _, r := range doc.File.Releases {
		if slices.ContainsFunc(res.Releases, func(rr spec.ResolvedRelease) bool { return rr.Name == r.Name }) {
			out = append(out, r)
		}
	}
	return out
}

// completeReleases completes the names of releases not given yet, each described by its
// namespace and chart.
func (g *globalFlags) completeReleases(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	doc := g.completionDoc()
	if doc == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for _, r := range g.completionReleases(doc) {
		if r.Name == "" || !strings.HasPrefix(r.Name, toComplete) || slices.Contains(args, r.Name) {
			continue
		}
		out = append(out, cobra.CompletionWithDesc(r.Name, fmt.Sprintf("%s in %s", r.Chart, r.Namespace)))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeEnvironments completes the environments of kaji.yaml.
func (g *globalFlags) completeEnvironments(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	doc := g.completionDoc()
	if doc == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []cobra.Completion
	for name := range doc.File.Environments {
		if strings.HasPrefix(name, toComplete) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeLabels completes key=value pairs of the releases' labels. After a comma it
// completes the next requirement of the selector.
func (g *globalFlags) completeLabels(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	doc := g.completionDoc()
	if doc == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	done, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	// The keys that the selector already has a requirement on.
	used := map[string]bool{}
	for req := range strings.SplitSeq(strings.TrimSuffix(done, ","), ",") {
		key := strings.TrimSpace(strings.TrimLeft(req, "!"))
		if i := strings.IndexAny(key, "=! "); i >= 0 {
			key = key[:i]
		}
		used[key] = true
	}
	seen := map[string]bool{}
	var out []cobra.Completion
	for _, r := range g.completionReleases(doc) {
		for k, v := range r.Labels {
			pair := k + "=" + v
			if seen[pair] || used[k] || !strings.HasPrefix(pair, last) {
				continue
			}
			seen[pair] = true
			out = append(out, done+pair)
		}
	}
	slices.Sort(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}
