package spec

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

// validateLabels checks the keys and values of a release's labels with the rules of
// Kubernetes labels, which the selectors of the command line (-l) parse.
func (v *validator) validateLabels(p path, ls map[string]string) {
	for _, key := range sortedKeys(ls) {
		at := p.with(key)
		if len(validation.IsQualifiedName(key)) > 0 {
			v.add(at, fmt.Sprintf("invalid label key %q", key), labelKeyRule)
			continue
		}
		if value := ls[key]; len(validation.IsValidLabelValue(value)) > 0 {
			v.add(at, fmt.Sprintf("invalid value %q of label %q", value, key), identifierRule+", or leave it empty")
		}
	}
}

const labelKeyRule = "a key is a name of at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit, " +
	"after an optional DNS prefix and a /, such as team or example.com/team"

// ParseSelector parses a label selector of the command line, in kubectl's syntax: key=value,
// key!=value, key (the label is set), !key (it is not), key in (a,b) and key notin (a,b),
// joined with commas; every requirement must hold.
func ParseSelector(s string) (labels.Selector, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("empty selector: write key=value, such as -l team=payments")
	}
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("invalid selector %q: %w; write key=value, key!=value or key, joined with commas", s, err)
	}
	return sel, nil
}
