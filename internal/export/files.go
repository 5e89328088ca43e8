package export

import (
	"fmt"
	"slices"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"
)

// addObject writes o to a file of its own, named after its kind and name.
func addObject(out *Result, env string, o object) error {
	body, err := sigsyaml.Marshal(o)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", o.Kind, o.Metadata.Name, err)
	}
	name := fileName(o.Kind, o.Metadata.Name)
	if slices.ContainsFunc(out.Files, func(f File) bool { return f.Name == name }) {
		return fmt.Errorf("two objects would be written to %s: rename one of them in kaji.yaml", name)
	}
	out.Files = append(out.Files, File{Name: name, Data: append([]byte(header(out.Engine, env)), body...)})
	return nil
}

// finish adds kustomization.yaml, which lists the objects' files, and README.md, and sorts
// the files by name.
func finish(out *Result, readme func(*Result) []byte) error {
	slices.SortFunc(out.Files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	k := kustomization{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization", Resources: []string{}}
	for _, f := range out.Files {
		k.Resources = append(k.Resources, f.Name)
	}
	body, err := sigsyaml.Marshal(k)
	if err != nil {
		return fmt.Errorf("encode kustomization.yaml: %w", err)
	}
	out.Files = append(out.Files,
		File{Name: KustomizationFile, Data: append([]byte(header(out.Engine, out.Environment)), body...)},
		File{Name: ReadmeFile, Data: readme(out)})
	slices.SortFunc(out.Files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

// The files that every export writes beside the objects' files.
const (
	KustomizationFile = "kustomization.yaml"
	ReadmeFile        = "README.md"
)

// objectPrefixes are the names of the objects' files that an export writes, by engine.
var objectPrefixes = map[string][]string{
	"flux":   {"helmrelease-", "helmrepository-", "ocirepository-"},
	"argocd": {"application-"},
}

// isExportFile reports whether a file name is one that an export for engine writes.
func isExportFile(engine, name string) bool {
	if name == KustomizationFile || name == ReadmeFile {
		return true
	}
	return strings.HasSuffix(name, ".yaml") && slices.ContainsFunc(objectPrefixes[engine], func(p string) bool { return strings.HasPrefix(name, p) })
}
