package importer

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"

	"kaji.dev/kaji/internal/spec"
)

// The kaji.yaml an import writes is edited as a YAML node tree, so that what a person wrote
// (comments, order, other releases) stays as it was.

func scalar(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// encode turns a Go value into a node with the tags that make it read back as the same value:
// a string such as "1.0" or "true" is quoted.
func encode(v any) *yaml.Node {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		// Values come from JSON or YAML decoding: maps, slices, strings, numbers, booleans
		// and nil, all of which encode.
		return scalar(fmt.Sprint(v))
	}
	quoteMergeKeys(&n)
	return &n
}

// quoteMergeKeys quotes the keys "<<", which YAML would read back as a merge.
func quoteMergeKeys(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value == "<<" {
				k.Tag, k.Style = "!!str", yaml.DoubleQuotedStyle
			}
		}
	}
	for _, c := range n.Content {
		quoteMergeKeys(c)
	}
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

// get returns the value of key in mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// set sets key in mapping m to v, in place when the key exists, else at the end.
func set(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, scalar(key), v)
}

// insertAfter adds key to mapping m after the first of the keys after that it has, else at
// the end.
func insertAfter(m *yaml.Node, key string, v *yaml.Node, after ...string) {
	for _, a := range after {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == a {
				m.Content = append(m.Content[:i+2], append([]*yaml.Node{scalar(key), v}, m.Content[i+2:]...)...)
				return
			}
		}
	}
	m.Content = append(m.Content, scalar(key), v)
}

// ensure returns the mapping or sequence under key in m, adding an empty one when missing.
// An existing one written in flow style ([] or {}) turns to block style, since entries are
// about to be added to it.
func ensure(m *yaml.Node, key string, kind yaml.Kind) *yaml.Node {
	m.Style &^= yaml.FlowStyle
	if n := get(m, key); n != nil && n.Kind == kind {
		n.Style &^= yaml.FlowStyle
		return n
	}
	n := mapping()
	if kind == yaml.SequenceNode {
		n = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	}
	set(m, key, n)
	return n
}

// ensureBefore is ensure for a mapping that, when added, goes before key before (so that
// repositories come before releases, as people write them).
func ensureBefore(m *yaml.Node, key, before string) *yaml.Node {
	if n := get(m, key); n != nil && n.Kind == yaml.MappingNode {
		n.Style &^= yaml.FlowStyle
		return n
	}
	n := mapping()
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = n
			return n
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == before {
			m.Content = append(m.Content[:i], append([]*yaml.Node{scalar(key), n}, m.Content[i:]...)...)
			return n
		}
	}
	m.Content = append(m.Content, scalar(key), n)
	return n
}

// releaseNode writes a release with kaji.yaml's field order.
func releaseNode(r spec.Release) *yaml.Node {
	n := mapping()
	add := func(key string, v *yaml.Node) { n.Content = append(n.Content, scalar(key), v) }
	add("name", scalar(r.Name))
	add("namespace", scalar(r.Namespace))
	add("chart", scalar(r.Chart))
	if r.Version != "" {
		add("version", scalar(r.Version))
	}
	if r.Enabled != nil {
		add("enabled", encode(*r.Enabled))
	}
	if r.Adopt {
		add("adopt", encode(true))
	}
	if len(r.ValuesFiles) > 0 {
		add("valuesFiles", flowStrings(r.ValuesFiles))
	}
	if len(r.Values) > 0 {
		add("values", encode(r.Values))
	}
	if len(r.Needs) > 0 {
		add("needs", flowStrings(r.Needs))
	}
	if r.CreateNamespace != nil {
		add("createNamespace", encode(*r.CreateNamespace))
	}
	if r.Wait != nil {
		add("wait", encode(*r.Wait))
	}
	if r.Timeout != "" {
		add("timeout", scalar(r.Timeout))
	}
	if r.RollbackOnFailure != nil {
		add("rollbackOnFailure", encode(*r.RollbackOnFailure))
	}
	if r.MaxHistory != nil {
		add("maxHistory", encode(*r.MaxHistory))
	}
	if r.CRDs != "" {
		add("crds", scalar(string(r.CRDs)))
	}
	return n
}

// overrideNode writes an environment's override of a release.
func overrideNode(o spec.ReleaseOverride) *yaml.Node {
	n := mapping()
	add := func(key string, v *yaml.Node) { n.Content = append(n.Content, scalar(key), v) }
	if o.Enabled != nil {
		add("enabled", encode(*o.Enabled))
	}
	if o.Version != "" {
		add("version", scalar(o.Version))
	}
	if len(o.ValuesFiles) > 0 {
		add("valuesFiles", flowStrings(o.ValuesFiles))
	}
	if len(o.Values) > 0 {
		add("values", encode(o.Values))
	}
	return n
}

func flowStrings(ss []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, s := range ss {
		n.Content = append(n.Content, scalar(s))
	}
	return n
}

// newFile is the node tree of a kaji.yaml with no release yet.
func newFile(project string, cluster *spec.Cluster) *yaml.Node {
	root := mapping()
	root.HeadComment = "Written by kaji import. kaji validate checks it; kaji plan shows what apply would change."
	set(root, "apiVersion", scalar(spec.APIVersion))
	set(root, "project", scalar(project))
	if cluster != nil && !clusterEmpty(*cluster) {
		set(root, "cluster", clusterNode(*cluster))
	}
	set(root, "releases", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"})
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
}

func clusterEmpty(c spec.Cluster) bool {
	return c.KubeContext == "" && c.Kubeconfig == "" && c.EKS == nil
}

func clusterNode(c spec.Cluster) *yaml.Node {
	n := mapping()
	if c.KubeContext != "" {
		set(n, "kubeContext", scalar(c.KubeContext))
	}
	if c.Kubeconfig != "" {
		set(n, "kubeconfig", scalar(c.Kubeconfig))
	}
	if e := c.EKS; e != nil {
		m := mapping()
		set(m, "name", scalar(e.Name))
		set(m, "region", scalar(e.Region))
		if e.RoleARN != "" {
			set(m, "roleArn", scalar(e.RoleARN))
		}
		set(n, "eks", m)
	}
	return n
}

// render writes the node tree as kaji.yaml is written: two-space indents.
func render(doc *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("write kaji.yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write kaji.yaml: %w", err)
	}
	return b.Bytes(), nil
}

// renderValues writes a values file.
func renderValues(header string, values map[string]any) ([]byte, error) {
	n := encode(values)
	n.HeadComment = header
	return render(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}})
}
