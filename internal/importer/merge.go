package importer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"

	"kaji.dev/kaji/internal/spec"
)

// ChartSources finds where a chart stored with a release comes from.
type ChartSources interface {
	// Find returns the reference (repo/name of one of repos, or oci://...) of a chart whose
	// content is the stored chart's, or "" when none is; how says what was tried either way.
	// config is the release's user-supplied values, which decided what Helm stored.
	Find(ctx context.Context, stored *chartv2.Chart, config map[string]any, repos map[string]string) (ref, how string, err error)
	// WriteLocal writes the stored chart under dir and returns the path kaji.yaml uses.
	WriteLocal(dir string, stored *chartv2.Chart) (string, error)
}

// Options configure Merge.
type Options struct {
	// File is the kaji.yaml to write or merge into. It is created when missing.
	File string
	// Project names the project of a new file; empty means the name of File's directory.
	Project string
	// Env, when set, imports into that environment: into a kaji.yaml that already declares
	// releases, only the differences are written, as the environment's overrides.
	Env string
	// Cluster is the cluster read, written into a new file or a new environment.
	Cluster *spec.Cluster
	// Repositories are repositories to look for stored charts in, besides kaji.yaml's own
	// (--repo name=url); those that a chart is found in are added to kaji.yaml.
	Repositories map[string]string
	// InlineValues writes values into kaji.yaml instead of values/<release>.yaml.
	InlineValues bool
	// Overwrite replaces releases that kaji.yaml declares differently.
	Overwrite bool
	// Doc is File, already loaded with LoadTarget; nil loads it.
	Doc *spec.Document
	// Charts finds chart sources; needed for cluster imports.
	Charts ChartSources
	// InScope says whether a release of kaji.yaml was within what the import read (its
	// namespace and name filters), so that one not found is known to be absent. Nil means
	// every release.
	InScope func(name, namespace string) bool
}

// merger is one Merge call's state.
type merger struct {
	opts  Options
	dir   string
	doc   *spec.Document // nil for a new file
	root  *yaml.Node     // the top-level mapping
	tree  *yaml.Node     // the document node
	repos map[string]string
	// candidates are where stored charts are looked for: kaji.yaml's and --repo's.
	candidates map[string]string
	files      map[string][]byte
	// foundRepos are the repositories the reader found, under kaji.yaml's names for them.
	foundRepos map[string]string
	// dirty says that the node tree was changed.
	dirty  bool
	report *Report
}

// Merge writes what an import found into kaji.yaml and its values files, and reports what it
// did. Hand edits are kept: a release that kaji.yaml already declares differently is reported
// with its differences and left alone unless Overwrite.
func Merge(ctx context.Context, found *Found, skipped []Skipped, opts Options) (*Report, error) {
	m, err := newMerger(found, opts)
	if err != nil {
		return nil, err
	}
	m.report.Skipped = skipped
	m.report.Notes = append(m.report.Notes, found.Notes...)
	reconcileRepositories(found, m.repos)
	m.foundRepos = found.Repositories

	envMode := opts.Env != "" && m.doc != nil && len(m.doc.File.Releases) > 0
	// Skipped releases exist, even if they are not imported: they are never absent.
	seen := map[string]bool{}
	for _, sk := range skipped {
		seen[sk.Name] = true
	}
	for i := range found.Releases {
		fr := &found.Releases[i]
		seen[fr.Name] = true
		if err := chartutil.ValidateReleaseName(fr.Name); err != nil {
			// A name Helm refuses is never used, as a release or as a file name.
			m.report.Skipped = append(m.report.Skipped, Skipped{Name: fr.Name, Namespace: fr.Namespace,
				Reason: fmt.Sprintf("found at %s, but %q is not a valid Helm release name (%v): declare it by hand", fr.Origin, fr.Name, err)})
			continue
		}
		rep, err := m.release(ctx, fr, envMode)
		if err != nil {
			return nil, fmt.Errorf("release %s/%s: %w", fr.Namespace, fr.Name, err)
		}
		m.report.Releases = append(m.report.Releases, rep)
	}
	if envMode {
		m.markAbsent(seen)
	}
	if opts.Env != "" {
		m.ensureEnvironment()
	}
	m.addEnvironments(found)
	if err := m.write(); err != nil {
		return nil, err
	}
	m.report.countBlocking()
	return m.report, nil
}

func newMerger(found *Found, opts Options) (*merger, error) {
	abs, err := filepath.Abs(opts.File)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", opts.File, err)
	}
	m := &merger{opts: opts, dir: filepath.Dir(abs), repos: map[string]string{}, candidates: map[string]string{}, files: map[string][]byte{},
		report: &Report{File: opts.File, Source: found.Kind, Environment: opts.Env}}
	raw, err := os.ReadFile(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		m.report.Created = true
		cluster := opts.Cluster
		if cluster == nil {
			cluster = found.Cluster
		}
		if opts.Env != "" {
			cluster = found.Cluster // the environment gets the cluster read
		}
		m.tree = newFile(projectName(opts.Project, m.dir), cluster)
		m.root = m.tree.Content[0]
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", opts.File, err)
	default:
		doc := opts.Doc
		if doc == nil {
			if doc, err = LoadTarget(abs); err != nil {
				return nil, err
			}
		}
		m.doc = doc
		var tree yaml.Node
		if err := yaml.Unmarshal(raw, &tree); err != nil {
			return nil, fmt.Errorf("parse %s: %w", opts.File, err)
		}
		m.tree, m.root = &tree, tree.Content[0]
		for k, v := range doc.File.Repositories {
			m.repos[k] = v
		}
	}
	for k, v := range m.repos {
		m.candidates[k] = v
	}
	for k, v := range opts.Repositories {
		m.candidates[k] = v
	}
	return m, nil
}

var identifierChars = regexp.MustCompile(`[^a-z0-9-]+`)

// ProjectName is the project of a new kaji.yaml at file: given, else its directory's name.
func ProjectName(given, file string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	return projectName(given, filepath.Dir(abs))
}

func projectName(given, dir string) string {
	if given != "" {
		return given
	}
	name := strings.Trim(identifierChars.ReplaceAllString(strings.ToLower(filepath.Base(dir)), "-"), "-")
	if name == "" {
		return "platform"
	}
	return name
}

// reconcileRepositories renames the repositories a reader named to the names kaji.yaml
// already gives the same URLs, so that charts refer to them.
func reconcileRepositories(found *Found, have map[string]string) {
	rename := map[string]string{}
	known := map[string]string{}
	for k, v := range have {
		known[k] = v
	}
	for _, name := range sortedKeys(found.Repositories) {
		url := found.Repositories[name]
		if n := nameOf(known, url); n != "" {
			if n != name {
				rename[name] = n
			}
			continue
		}
		if _, taken := known[name]; !taken {
			known[name] = url
			continue
		}
		rename[name] = RepositoryName(known, url)
	}
	out := map[string]string{}
	for name, url := range found.Repositories {
		if n, ok := rename[name]; ok {
			name = n
		}
		out[name] = url
	}
	found.Repositories = out
	for i := range found.Releases {
		r := &found.Releases[i]
		if repo, rest, ok := strings.Cut(r.Chart, "/"); ok {
			if n, renamed := rename[repo]; renamed {
				r.Chart = n + "/" + rest
			}
		}
	}
}

// nameOf returns the name repos gives URL u, or "".
func nameOf(repos map[string]string, u string) string {
	for _, name := range sortedKeys(repos) {
		if strings.TrimRight(repos[name], "/") == strings.TrimRight(u, "/") {
			return name
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// LoadTarget loads the kaji.yaml an import merges into: a valid one, or one whose only
// problems are placeholders an earlier import left. It returns nil when file does not exist.
func LoadTarget(file string) (*spec.Document, error) {
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	doc, problems, err := spec.LoadDraft(file)
	if err == nil && !OnlyPlaceholders(problems) {
		err = problems
	}
	if err != nil {
		return nil, fmt.Errorf("%w\nkaji import merges into a valid kaji.yaml only (or one whose only problems are the placeholders an import left): fix it first, or import into a new file with -f", err)
	}
	return doc, nil
}

// OnlyPlaceholders says whether every problem of a kaji.yaml is about a placeholder an import
// wrote, such as a chart that must come from a repository still to be named.
func OnlyPlaceholders(problems spec.Problems) bool {
	for _, p := range problems {
		if !strings.Contains(p.Message, "-import: ") {
			return false
		}
	}
	return true
}
