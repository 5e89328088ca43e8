package view

import (
	"fmt"
	"strings"

	md "kaji.dev/kaji/internal/markdown"
	"kaji.dev/kaji/internal/projectdoc"
)

// needsGraph is the needs of releases as a Mermaid flowchart, from left to right: an arrow
// goes from a release to each release that needs it, so that the diagram reads in the order
// apply installs them. Nodes are named r1, r2... in the order of releases, which no release
// name can break; names show as quoted labels. Without any need, it is a sentence.
func needsGraph(releases []projectdoc.Release) string {
	id := map[string]string{}
	for i, r := range releases {
		id[r.Name] = fmt.Sprintf("r%d", i+1)
	}
	var edges []string
	for _, r := range releases {
		for _, n := range r.Needs {
			if from, ok := id[n]; ok {
				edges = append(edges, "  "+from+" --> "+id[r.Name])
			}
		}
	}
	if len(edges) == 0 {
		return "No release needs another: apply installs them in any order.\n\n"
	}
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, r := range releases {
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", id[r.Name], mermaidLabel(r.Name))
	}
	b.WriteString(strings.Join(edges, "\n"))
	return "Order of installation: an arrow points from a release to the releases that need it.\n\n" +
		md.Fenced("mermaid", b.String())
}

// mermaidLabel keeps a name inside a quoted Mermaid label: quotes and the characters
// Mermaid reads as markup become entities.
func mermaidLabel(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", " ").Replace(s)
}
