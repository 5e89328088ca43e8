package chartlock

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// header opens every kaji.lock that kaji writes.
const header = `# kaji.lock pins the chart of each release of kaji.yaml to an exact version and digest.
# kaji lock writes it; kaji validate, plan and apply load what it pins. Commit it with
# kaji.yaml, and change it with kaji lock rather than by hand.
`

// Encode returns f in kaji.lock's canonical form: the header, the schema version, and the
// entries sorted by release and environment, one field a line in a fixed order. The same
// content always gives the same bytes.
func (f *File) Encode() ([]byte, error) {
	sorted := f.Clone()
	sorted.sort()
	list := &yaml.Node{Kind: yaml.SequenceNode}
	if len(sorted.Entries) == 0 {
		list.Style = yaml.FlowStyle // releases: []
	}
	for _, e := range sorted.Entries {
		m := &yaml.Node{Kind: yaml.MappingNode}
		add := func(key, value string) {
			if value != "" {
				m.Content = append(m.Content, str(key), str(value))
			}
		}
		add("release", e.Release)
		add("environment", e.Environment)
		add("repository", e.Repository)
		add("chart", e.Chart)
		add("version", e.Version)
		add("digest", e.Digest)
		list.Content = append(list.Content, m)
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		str("apiVersion"), str(APIVersion),
		str("releases"), list,
	}}
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("encode kaji.lock: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode kaji.lock: %w", err)
	}
	return b.Bytes(), nil
}

// str is a string scalar: the encoder quotes it where YAML would read it as something else,
// such as a version 1.10 that would become the number 1.1.
func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}
