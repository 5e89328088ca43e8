// Package helmfile reads the static part of a helmfile.yaml into what kaji import found:
// repositories, releases (chart, version, values, values files, set, needs, installed,
// createNamespace, wait, timeout, atomic), helmDefaults and environments. What kaji cannot
// express — templates, hooks, secrets, labels, bases, sub-helmfiles and any other key — is
// listed as a note with the helmfile's file:line and the reason, never dropped silently.
//
// Decisions, where helmfile and kaji differ:
//   - A release without a namespace goes to the kube context's namespace in helmfile; the
//     import writes default, with a note.
//   - The top-level namespace and kubeContext keys override every release's, as in helmfile.
//   - A repository with oci: true becomes an oci:// repository, and its charts stay repo/name,
//     which kaji resolves to <repository>/<name>.
//   - helmDefaults are written into each release that does not set its own, and only where
//     they differ from kaji's defaults (no wait, a 5m timeout, no rollback, create namespaces,
//     10 revisions kept).
//   - Inline values are merged in order into the release's values and set entries over them,
//     with Helm's --set rules; values files keep their order. kaji merges inline values over
//     all values files, so an inline entry that comes before a values file gets a note.
//   - needs entries (name, namespace/name or kubecontext/namespace/name, completed with the
//     release's namespace and context as helmfile does) become release names.
package helmfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"kaji.dev/kaji/internal/importer"
	"kaji.dev/kaji/internal/spec"
)

// Options configure Read.
type Options struct {
	// KajiDir is the directory of the kaji.yaml the import writes to: values files and local
	// charts, which the helmfile gives relative to its own directory, are rewritten relative
	// to it. Empty means the working directory.
	KajiDir string
}

// Read reads the helmfile at path (a helmfile.yaml, or a helmfile.yaml.gotmpl whose templates
// are noted) and returns what it declares in kaji's terms. Notes carry path:line, with path as
// given. It fails when the file cannot be read, is not YAML once its template lines are set
// aside, or has a release without a name or a chart.
func Read(path string, opts Options) (*importer.Found, error) {
	data, err := spec.ReadFile(path)
	if tooLarge := (*spec.FileTooLargeError)(nil); errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("read helmfile %s: larger than %d MiB, the most kaji reads from one YAML file", path, spec.MaxFileSize>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("read helmfile: %w (pass the path of a helmfile.yaml)", err)
	}
	r, err := newReader(path, opts)
	if err != nil {
		return nil, err
	}
	docs, err := r.parse(data)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		r.gather(d)
	}
	if err := r.build(); err != nil {
		return nil, err
	}
	return r.result(), nil
}

// reader holds one Read.
type reader struct {
	file    string // the helmfile's path as given, for file:line
	dir     string // the helmfile's directory, absolute
	kajiDir string // kaji.yaml's directory, absolute
	tpl     *templated

	found   importer.Found
	notes   []lineNote // notes for Found.Notes
	spans   []span     // where each release is written, to place template notes
	byIndex []*releaseMeta

	// gathered from every document, in order
	repositories []*yaml.Node
	releases     []*yaml.Node
	defaults     []pair
	environments []pair
	templates    map[string]*yaml.Node
	unreadable   map[string]bool // repositories kaji cannot read
	namespace    *yaml.Node      // top-level namespace, which overrides every release's
	kubeContext  *yaml.Node      // top-level kubeContext, likewise
	chart        *yaml.Node      // top-level chart, likewise
	context      *yaml.Node      // the deprecated top-level context: helmDefaults.kubeContext
}

// lineNote is a note and the line it is about, for sorting.
type lineNote struct {
	line int
	note importer.Note
}

// span is the lines a release is written on.
type span struct {
	first, last int
	release     int
}

func newReader(path string, opts Options) (*reader, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("make %s absolute: %w", path, err)
	}
	kajiDir := opts.KajiDir
	if kajiDir == "" {
		kajiDir = "."
	}
	kajiDir, err = filepath.Abs(kajiDir)
	if err != nil {
		return nil, fmt.Errorf("make %s absolute: %w", opts.KajiDir, err)
	}
	return &reader{
		file:       path,
		dir:        filepath.Dir(abs),
		kajiDir:    kajiDir,
		templates:  map[string]*yaml.Node{},
		unreadable: map[string]bool{},
		found:      importer.Found{Kind: importer.KindHelmfile, Repositories: map[string]string{}},
	}, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line ([0-9]+): `)

// parse reads the documents of the helmfile, with its template actions set aside.
func (r *reader) parse(data []byte) ([]*yaml.Node, error) {
	r.tpl = scanTemplates(data)
	if strings.HasSuffix(r.file, ".gotmpl") {
		r.addNote(1, fmt.Sprintf("%s is a helmfile template: the import read it as plain YAML, with the template lines listed here", filepath.Base(r.file)), false)
	}
	dec := yaml.NewDecoder(bytes.NewReader(r.tpl.yaml))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, r.syntaxError(err)
		}
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s: a helmfile document is a mapping of repositories, releases and so on, not %s (check the file)",
				r.where(root.Line), describe(root))
		}
		docs = append(docs, root)
	}
	return docs, nil
}

// syntaxError turns a YAML error into one with file:line that says what to do.
func (r *reader) syntaxError(err error) error {
	msg := err.Error()
	where := r.file
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		where = r.file + ":" + m[1]
		msg = strings.TrimPrefix(msg, m[0])
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if len(r.tpl.lines) > 0 {
		return fmt.Errorf("%s: %s: %s is a helmfile template that is YAML only once helmfile renders it (template lines %s); "+
			"import the rendered helmfile instead: helmfile build > rendered.yaml (with --environment NAME for each environment), "+
			"then kaji import --from-helmfile rendered.yaml", where, msg, r.file, r.tpl.lineList())
	}
	return fmt.Errorf("%s: %s (fix the YAML and import again)", where, msg)
}

// where returns file:line.
func (r *reader) where(line int) string {
	return r.file + ":" + strconv.Itoa(line)
}

// addNote adds a note that belongs to no single release.
func (r *reader) addNote(line int, msg string, blocking bool) {
	r.notes = append(r.notes, lineNote{line: line, note: importer.Note{Where: r.where(line), Message: msg, Blocking: blocking}})
}

// result returns what was found, notes sorted by line.
func (r *reader) result() *importer.Found {
	for _, l := range r.tpl.lines {
		note := lineNote{line: l.line, note: importer.Note{Where: r.where(l.line), Message: l.message(), Blocking: l.blocking()}}
		if m := r.releaseAt(l.line); m != nil {
			m.notes = append(m.notes, note)
			continue
		}
		r.notes = append(r.notes, note)
	}
	r.found.Notes = sortNotes(r.notes)
	for i, m := range r.byIndex {
		r.found.Releases[i].Notes = sortNotes(m.notes)
	}
	if len(r.found.Environments) == 0 {
		r.found.Environments = nil
	}
	return &r.found
}

// releaseAt returns the release written over line, or nil.
func (r *reader) releaseAt(line int) *releaseMeta {
	for _, s := range r.spans {
		if line >= s.first && line <= s.last {
			return r.byIndex[s.release]
		}
	}
	return nil
}

func sortNotes(notes []lineNote) []importer.Note {
	sort.SliceStable(notes, func(i, j int) bool { return notes[i].line < notes[j].line })
	out := make([]importer.Note, 0, len(notes))
	for _, n := range notes {
		out = append(out, n.note)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// kajiCluster returns the cluster of Found, creating it.
func (r *reader) kajiCluster() *spec.Cluster {
	if r.found.Cluster == nil {
		r.found.Cluster = &spec.Cluster{}
	}
	return r.found.Cluster
}
