package cdk

import (
	"encoding/json"
	"fmt"
	"path"

	"kaji.dev/kaji/internal/importer"
)

// Resource types that Read looks at.
const (
	helmChartType   = "Custom::AWSCDK-EKS-HelmChart"
	nestedStackType = "AWS::CloudFormation::Stack"
)

// maxNestingDepth bounds how deep nested stacks are followed.
const maxNestingDepth = 20

type templateJSON struct {
	Parameters map[string]json.RawMessage `json:"Parameters"`
	Resources  orderedObject              `json:"Resources"`
}

type resourceJSON struct {
	Type           string         `json:"Type"`
	Properties     map[string]any `json:"Properties"`
	Metadata       map[string]any `json:"Metadata"`
	DeletionPolicy string         `json:"DeletionPolicy"`
}

// readTemplate reads the template file (relative to the assembly's root) in scope s: its
// HelmChart resources, and the templates of its nested stacks where they appear.
func (rd *reader) readTemplate(s *scope, file string, depth int) error {
	if depth > maxNestingDepth {
		return fmt.Errorf("stacks nested deeper than %d levels at %s", maxNestingDepth, rd.show(file))
	}
	var t templateJSON
	if err := readJSONFile(rd.dir, file, &t); err != nil {
		return err
	}
	s.file = rd.show(file)
	s.resources = make(map[string]string, len(t.Resources.keys))
	s.parameters = make(map[string]bool, len(t.Parameters))
	for name := range t.Parameters {
		s.parameters[name] = true
	}
	resources := make([]resourceJSON, len(t.Resources.keys))
	for i, id := range t.Resources.keys {
		if err := json.Unmarshal(t.Resources.values[id], &resources[i]); err != nil {
			return fmt.Errorf("%s: resource %s: %w", s.file, id, err)
		}
		s.resources[id] = resources[i].Type
	}
	for i, id := range t.Resources.keys {
		res := resources[i]
		switch res.Type {
		case helmChartType:
			rd.chart(s, id, res)
		case nestedStackType:
			nested, _ := res.Metadata["aws:asset:path"].(string)
			if nested == "" {
				rd.found.Notes = append(rd.found.Notes, importer.Note{
					Where: s.file + ": " + id,
					Message: "a nested stack whose template the metadata does not name, so its charts were not read: " +
						"synthesize with asset metadata (the default; not --no-asset-metadata)",
				})
				continue
			}
			params, _ := res.Properties["Parameters"].(map[string]any)
			child := &scope{
				stack:   s.stack + "/" + id,
				region:  s.region,
				account: s.account,
				parent:  s,
				params:  params,
			}
			if err := rd.readTemplate(child, path.Join(path.Dir(file), nested), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
