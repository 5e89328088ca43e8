package validate

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	sigsyaml "sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/secrets/sopsvalues"
	"kaji.dev/kaji/internal/spec"
)

// layer is one values layer of a release, read the way Helm reads it, with what is needed to
// find the position of any of its keys.
type layer struct {
	src spec.ValuesLayer
	// vals are the layer's values as Helm reads them.
	vals map[string]any
	// file is the values file as findings name it; empty for inline values.
	file string
	// docs are the documents of a values file, parsed with positions; nil when unknown.
	docs []*yaml.Node
	// inline is, for inline values, the field path of the values mapping in kaji.yaml.
	inline []any
	// sops is set for a SOPS-encrypted file, whose values read as placeholders offline.
	sops bool
}

// readLayers reads the values layers of release r. It returns the layers and, when a values
// file cannot be read as values, findings for it instead.
func (v *validator) readLayers(r spec.ResolvedRelease) ([]*layer, []Finding) {
	var out []*layer
	var bad []Finding
	for _, src := range r.Values {
		if src.File == "" {
			out = append(out, &layer{src: src, vals: src.Inline, inline: v.inlinePath(r.Name, src)})
			continue
		}
		l, f := v.readFile(r.Name, src)
		if f != nil {
			bad = append(bad, *f)
			continue
		}
		out = append(out, l)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return out, nil
}

// inlinePath tells the release's own inline values from the environment's, by where the
// layer was declared.
func (v *validator) inlinePath(release string, src spec.ValuesLayer) []any {
	own := []any{"releases", v.fileIndex[release], "values"}
	if p, ok := v.doc.Lookup(own...); ok && p == src.Origin {
		return own
	}
	if v.env != "" {
		env := []any{"environments", v.env, "releases", release, "values"}
		if p, ok := v.doc.Lookup(env...); ok && p == src.Origin {
			return env
		}
	}
	return own
}

// readFile reads one values file.
func (v *validator) readFile(release string, src spec.ValuesLayer) (*layer, *Finding) {
	name := v.displayPath(src.File)
	data, err := spec.ReadFile(src.File)
	if err != nil {
		return nil, &Finding{
			Severity: Error, Code: CodeValuesYAML, Release: release, Pos: spec.Pos{File: name},
			Message: fmt.Sprintf("cannot read the values file: %v", err),
		}
	}
	read := data
	encrypted := sopsvalues.IsSOPS(data)
	if encrypted {
		// Offline, a SOPS file's keys are checked, not its values: they read as placeholders.
		if read, err = sopsvalues.Placeholders(data); err != nil {
			return nil, &Finding{Severity: Error, Code: CodeValuesYAML, Release: release, Pos: spec.Pos{File: name},
				Message: "cannot read the SOPS file's keys; check it with sops decrypt"}
		}
	}
	vals, err := loader.LoadValues(bytes.NewReader(read))
	if err != nil {
		line, msg := yamlError(data)
		if msg == "" {
			msg = err.Error()
		}
		return nil, &Finding{
			Severity: Error, Code: CodeValuesYAML, Release: release, Pos: spec.Pos{File: name, Line: line},
			Message: oneLine(msg + "; Helm rejects this file too"),
		}
	}
	return &layer{src: src, vals: vals, file: name, docs: yamlDocs(data), sops: encrypted}, nil
}

// displayPath names a values file the way findings show it: relative to kaji.yaml's directory,
// joined to the directory of kaji.yaml as it was given, so that it opens from where kaji ran.
// A file outside kaji.yaml's directory keeps its absolute path.
func (v *validator) displayPath(abs string) string {
	rel, err := filepath.Rel(v.doc.Dir, abs)
	if err != nil || !filepath.IsLocal(rel) {
		return abs
	}
	return filepath.Join(filepath.Dir(v.docName), rel)
}

var yamlLine = regexp.MustCompile(`yaml: line (\d+): (.*)$`)

// yamlError finds why Helm cannot read data as values, the way loader.LoadValues reads it:
// split into documents at --- lines, each decoded by sigs.k8s.io/yaml into a mapping. It
// returns the line in the file (0 when unknown) and a message; an empty message when every
// document reads.
func yamlError(data []byte) (int, string) {
	for _, d := range splitDocuments(data) {
		if d.err != "" {
			return d.start, d.err
		}
		var m map[string]any
		err := sigsyaml.Unmarshal(d.text, &m)
		if err == nil {
			continue
		}
		msg := err.Error()
		if sm := yamlLine.FindStringSubmatch(msg); sm != nil {
			n, _ := strconv.Atoi(sm[1]) // the pattern guarantees digits
			return d.start + n - 1, "invalid YAML: " + sm[2]
		}
		if strings.Contains(msg, "cannot unmarshal") {
			return d.start, "the values file must hold a mapping of keys to values: " + msg
		}
		return d.start, "invalid YAML: " + strings.TrimPrefix(msg, "error converting YAML to JSON: yaml: ")
	}
	return 0, ""
}

// document is one YAML document of a values file: its text, the line it starts at, or a
// separator error.
type document struct {
	text  []byte
	start int
	err   string
}

// splitDocuments splits data into documents exactly as k8s.io/apimachinery's YAMLReader does
// for Helm: a line starting with --- ends a document, and may be followed only by a comment.
func splitDocuments(data []byte) []document {
	var out []document
	var buf bytes.Buffer
	start, line := 0, 0
	r := bufio.NewReader(bytes.NewReader(data))
	for {
		text, err := r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return out
		}
		if len(text) > 0 {
			line++
		}
		if bytes.HasPrefix(text, []byte("---")) {
			rest := strings.TrimSpace(string(text[3:]))
			if rest != "" && rest[0] != '#' {
				return append(out, document{start: line, err: "invalid document separator: " + rest})
			}
			if buf.Len() > 0 {
				out = append(out, document{text: bytes.Clone(buf.Bytes()), start: start})
				buf.Reset()
			}
			if err != nil {
				return out
			}
			continue
		}
		if len(text) > 0 {
			if buf.Len() == 0 {
				start = line
			}
			buf.Write(text)
		}
		if err != nil {
			if buf.Len() > 0 {
				out = append(out, document{text: bytes.Clone(buf.Bytes()), start: start})
			}
			return out
		}
	}
}

// setIn reports whether the values tree vals holds path: every step a key of a mapping or an
// index of a list.
func setIn(vals map[string]any, path []string) bool {
	var cur any = vals
	for _, seg := range path {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[seg]
			if !ok {
				return false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return false
			}
			cur = c[i]
		default:
			return false
		}
	}
	return true
}

// fieldSteps turns a key path into steps for spec.Document.Lookup: list indexes become ints
// where vals holds a list.
func fieldSteps(vals map[string]any, path []string) []any {
	out := make([]any, 0, len(path))
	var cur any = vals
	for _, seg := range path {
		switch c := cur.(type) {
		case map[string]any:
			out = append(out, seg)
			cur = c[seg]
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				out = append(out, seg)
				cur = nil
				continue
			}
			out = append(out, i)
			cur = c[i]
		default:
			out = append(out, seg)
			cur = nil
		}
	}
	return out
}

// pos returns where the layer sets path: the key in the values file or in kaji.yaml. When the
// key cannot be found, it returns the closest position known and false.
func (l *layer) pos(doc *spec.Document, path []string) (spec.Pos, bool) {
	if l.file == "" {
		steps := append(append([]any{}, l.inline...), fieldSteps(l.vals, path)...)
		return doc.Lookup(steps...)
	}
	line, col, ok := locateIn(l.docs, path)
	return spec.Pos{File: l.file, Line: line, Column: col}, ok
}

// winner returns the layer with the highest precedence that sets path, or nil.
func winner(layers []*layer, path []string) *layer {
	for i := len(layers) - 1; i >= 0; i-- {
		if setIn(layers[i].vals, path) {
			return layers[i]
		}
	}
	return nil
}
