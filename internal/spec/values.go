package spec

import (
	"fmt"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// helmValues turns an inline values mapping into the map Helm would build from the same text in
// a values file.
//
// kaji.yaml is parsed with go.yaml.in/yaml/v3, which keeps positions. Helm reads values files
// with chartutil.ReadValues (helm.sh/helm/v4/pkg/chart/common), which is sigs.k8s.io/yaml:
// YAML 1.1 through go.yaml.in/yaml/v2, converted to JSON and decoded with encoding/json. So
// every number becomes a float64 (replicaCount: 3 is float64(3)), yes/no/on/off are booleans,
// and non-string keys become strings. To give a chart exactly the values it would get from a
// values file, the mapping is written back out as YAML and decoded by sigs.k8s.io/yaml, just as
// Helm does; aliases are expanded first because the anchors they point to may lie outside it.
func helmValues(n *yaml.Node) (map[string]any, error) {
	text, err := yaml.Marshal(expandAliases(n))
	if err != nil {
		return nil, fmt.Errorf("cannot re-encode values: %w", err)
	}
	var values map[string]any
	if err := sigsyaml.Unmarshal(text, &values); err != nil {
		return nil, fmt.Errorf("values cannot be read the way Helm reads them: %w", err)
	}
	if values == nil {
		values = map[string]any{}
	}
	return values, nil
}

// expandAliases returns a deep copy of n in which every alias is replaced by a copy of the node
// it refers to, and anchors and comments are dropped.
func expandAliases(n *yaml.Node) *yaml.Node {
	n = deref(n)
	c := *n
	c.Anchor, c.Alias = "", nil
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	if len(n.Content) > 0 {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, child := range n.Content {
			c.Content[i] = expandAliases(child)
		}
	}
	return &c
}
