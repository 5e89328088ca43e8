package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultFile is the name Load looks for when given a directory.
const DefaultFile = "kaji.yaml"

// Document is a loaded, valid kaji.yaml together with the source positions of its nodes.
type Document struct {
	// File is the decoded content.
	File File
	// Path is the absolute path of kaji.yaml.
	Path string
	// Dir is the absolute directory of kaji.yaml; relative paths in the file resolve against it.
	Dir string

	// name is the path as given to Load; positions are reported with it.
	name string
	// root is the top-level mapping node.
	root *yaml.Node
}

// Load reads kaji.yaml at path (or path/kaji.yaml when path is a directory), decodes it
// strictly and validates it. When the file has mistakes, the error is Problems, listing every
// one of them in source order. When the file does not exist, the error wraps fs.ErrNotExist.
func Load(path string) (*Document, error) {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		path = filepath.Join(path, DefaultFile)
	}
	data, err := ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w (run kaji in the directory of kaji.yaml, or pass -f <path>)", path, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", path, err)
	}
	doc, problems := parse(filepath.Clean(path), abs, data)
	if len(problems) > 0 {
		return nil, problems
	}
	return doc, nil
}

// parse decodes and validates kaji.yaml. name labels positions; abs locates relative paths.
// It returns the document only when there are no problems.
func parse(name, abs string, data []byte) (*Document, Problems) {
	doc, problems, decoded := parseDraft(name, abs, data)
	if !decoded || len(problems) > 0 {
		return nil, problems
	}
	return doc, nil
}

// parseDraft is parse that also returns a document that decodes but does not validate;
// decoded says whether it decoded.
func parseDraft(name, abs string, data []byte) (*Document, Problems, bool) {
	root, problems := parseNode(name, data)
	if root == nil {
		return nil, problems, false
	}
	doc := &Document{Path: abs, Dir: filepath.Dir(abs), name: name, root: root}
	dec := &decoder{file: name}
	if !dec.checkSize(root) {
		return nil, append(problems, dec.problems...), false
	}
	dec.decode(root, reflect.ValueOf(&doc.File).Elem(), nil)
	problems = append(problems, dec.problems...)
	decoded := len(problems) == 0
	for _, p := range doc.validate() {
		if !under(p.Path, dec.bad) {
			problems = append(problems, p)
		}
	}
	sortProblems(problems)
	return doc, problems, decoded
}

// LoadDraft reads kaji.yaml as Load does, for tools that edit it, such as import: when the
// file decodes (its YAML and fields are right) but does not validate, it returns the document
// together with the problems, so that a draft with placeholders left to fill in can be
// edited further. The error is for a file that cannot be read or decoded.
func LoadDraft(path string) (*Document, Problems, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, fmt.Errorf("resolve %s: %w", path, err)
	}
	doc, problems, decoded := parseDraft(filepath.Clean(path), abs, data)
	if !decoded {
		return nil, nil, problems
	}
	return doc, problems, nil
}

// parseNode parses data as a single YAML document whose top level is a mapping, and returns
// that mapping.
func parseNode(name string, data []byte) (*yaml.Node, Problems) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) || (err == nil && isEmptyDocument(&doc)) {
		return nil, Problems{{
			Pos:     Pos{File: name},
			Message: "the file is empty",
			Hint:    fmt.Sprintf("start it with apiVersion: %s, project and releases", APIVersion),
		}}
	}
	if err != nil {
		return nil, Problems{syntaxProblem(name, err)}
	}
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, Problems{syntaxProblem(name, err)}
		}
		if !isEmptyDocument(&next) {
			return nil, Problems{{
				Pos:     Pos{File: name, Line: next.Line, Column: next.Column},
				Message: "a second YAML document starts here; kaji.yaml must hold exactly one",
				Hint:    "remove the --- separator and merge the documents, or move the second one to its own file",
			}}
		}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, Problems{{
			Pos:     nodePos(name, root),
			Message: fmt.Sprintf("expected a mapping at the top of the file, got %s", describe(root)),
			Hint:    fmt.Sprintf("start it with apiVersion: %s", APIVersion),
		}}
	}
	if p, ok := recursiveAlias(name, root, map[*yaml.Node]bool{}); ok {
		return nil, Problems{p}
	}
	return root, nil
}

// recursiveAlias finds an alias that refers to a node containing it, such as
// releases: [&r {values: *r}], which would expand forever. Aliases can only refer to earlier
// anchors, so any cycle in the expansion goes through such an alias.
func recursiveAlias(name string, n *yaml.Node, ancestors map[*yaml.Node]bool) (Problem, bool) {
	if n.Kind == yaml.AliasNode {
		if ancestors[n.Alias] {
			return Problem{
				Pos:     nodePos(name, n),
				Message: fmt.Sprintf("alias *%s refers to a node that contains it", n.Value),
			}, true
		}
		return Problem{}, false
	}
	ancestors[n] = true
	defer delete(ancestors, n)
	for _, c := range n.Content {
		if p, ok := recursiveAlias(name, c, ancestors); ok {
			return p, true
		}
	}
	return Problem{}, false
}

func isEmptyDocument(doc *yaml.Node) bool {
	return len(doc.Content) == 0 || isNull(doc.Content[0])
}

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxProblem turns a YAML parser error into a Problem, with the line when the parser gave one.
func syntaxProblem(name string, err error) Problem {
	msg := err.Error()
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1]) // the pattern guarantees digits
		return Problem{Pos: Pos{File: name, Line: line}, Message: "invalid YAML: " + m[2]}
	}
	return Problem{Pos: Pos{File: name}, Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// under reports whether field path p is one of bad or lies beneath one of them.
func under(p string, bad []string) bool {
	for _, b := range bad {
		if p == b || strings.HasPrefix(p, b+".") || strings.HasPrefix(p, b+"[") {
			return true
		}
	}
	return false
}

func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return ps[i].Path < ps[j].Path
	})
}
