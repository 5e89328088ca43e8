package ignore

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"helm.sh/helm/v4/pkg/postrenderer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// PostRenderer returns a Helm post-renderer that strips the ignored fields from the objects
// that install and upgrade apply (StripManifest), or nil when rs ignore nothing.
func (rs Rules) PostRenderer() postrenderer.PostRenderer {
	if len(rs) == 0 {
		return nil
	}
	return postRenderer{rs}
}

type postRenderer struct{ rules Rules }

func (p postRenderer) Run(rendered *bytes.Buffer) (*bytes.Buffer, error) {
	out, err := p.rules.StripManifest(rendered.Bytes())
	if err != nil {
		return nil, fmt.Errorf("ignoreDifferences: %w", err)
	}
	return bytes.NewBuffer(out), nil
}

// StripManifest removes the ignored fields from every object of a stream of YAML documents.
// Documents that rs do not change are kept as they are, comments and all; the others are
// written again from their JSON form, with their numbers as written.
func (rs Rules) StripManifest(manifest []byte) ([]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(manifest)))
	var out bytes.Buffer
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, fmt.Errorf("read the rendered manifest: %w", err)
		}
		// The reader leaves the separator on the first document when the stream begins with one.
		doc = bytes.TrimPrefix(bytes.TrimLeft(doc, "\n"), []byte("---\n"))
		stripped, err := rs.stripDocument(doc)
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(stripped)) == 0 {
			continue
		}
		out.WriteString("---\n")
		out.Write(stripped)
		if !bytes.HasSuffix(stripped, []byte("\n")) {
			out.WriteByte('\n')
		}
	}
}

func (rs Rules) stripDocument(doc []byte) ([]byte, error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("parse a rendered document: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return doc, nil // not an object (a comment, null or a scalar): helm decides
	}
	if len(rs.Strip(obj)) == 0 {
		return doc, nil
	}
	js, err = json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", ObjectOf(obj), err)
	}
	return yaml.JSONToYAML(js)
}

func (o Object) String() string {
	kind := o.Kind
	if o.Group != "" {
		kind += "." + o.Group
	}
	return kind + " " + o.Name
}
