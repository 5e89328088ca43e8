package unused

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"
)

// synonymsYAML holds the groups of names that charts use for the same concept; its header says
// where they come from.
//
//go:embed synonyms.yaml
var synonymsYAML []byte

// synonymTable maps a lowercased name to the indexes of the groups that hold it.
type synonymTable map[string][]int

// parseSynonyms reads groups of names, one list of names per group.
func parseSynonyms(raw []byte) (synonymTable, error) {
	var groups [][]string
	if err := yaml.UnmarshalStrict(raw, &groups); err != nil {
		return nil, fmt.Errorf("parse synonyms: %w", err)
	}
	t := synonymTable{}
	for i, g := range groups {
		if len(g) < 2 {
			return nil, fmt.Errorf("synonym group %d has fewer than two names", i+1)
		}
		for _, name := range g {
			k := strings.ToLower(name)
			if slices.Contains(t[k], i) {
				return nil, fmt.Errorf("synonym group %d names %s twice", i+1, name)
			}
			t[k] = append(t[k], i)
		}
	}
	return t, nil
}

// synonyms is the embedded table, parsed once; a table that does not parse is empty, and a
// test checks that it parses.
var synonyms = sync.OnceValue(func() synonymTable {
	t, err := parseSynonyms(synonymsYAML)
	if err != nil {
		return synonymTable{}
	}
	return t
})

// same reports whether a and b are different names of one group, ignoring case.
func (t synonymTable) same(a, b string) bool {
	la, lb := strings.ToLower(a), strings.ToLower(b)
	if la == lb {
		return false
	}
	for _, i := range t[la] {
		if slices.Contains(t[lb], i) {
			return true
		}
	}
	return false
}
