package helmfile

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// kaji's defaults for what helmDefaults and releases set; helmDefaults equal to them are not
// written into the releases.
const (
	kajiTimeoutSeconds = 300
	kajiMaxHistory     = 10
)

// defaults are the helmDefaults kaji can express.
type defaults struct {
	wait, atomic, createNamespace *bool
	timeout                       *int // seconds
	historyMax                    *int
	kubeContext                   string
}

// readDefaults reads helmDefaults, noting what kaji cannot express.
func (r *reader) readDefaults() defaults {
	var d defaults
	for _, p := range r.defaults {
		line := p.keyN.Line
		var err error
		switch p.key {
		case "wait":
			d.wait, err = r.boolField(p)
		case "atomic":
			d.atomic, err = r.boolField(p)
		case "createNamespace":
			d.createNamespace, err = r.boolField(p)
		case "timeout":
			d.timeout, err = r.intField(p)
		case "historyMax":
			d.historyMax, err = r.intField(p)
		case "kubeContext":
			d.kubeContext, _ = scalar(p.value)
			d.kubeContext = r.tpl.restore(d.kubeContext)
		default:
			if !isEmpty(p.value) {
				r.addNote(line, unsupportedMessage("helmDefaults", p.key), false)
			}
		}
		if err != nil {
			r.addNote(line, fmt.Sprintf("helmDefaults %s: %v; not imported", p.key, err), true)
		}
	}
	return d
}

// boolField reads a boolean key; a templated one reads as unset (its template note says why).
func (r *reader) boolField(p pair) (*bool, error) {
	if isNull(p.value) || r.templated(p.value) {
		return nil, nil
	}
	b, err := boolean(p.value)
	if err != nil {
		return nil, err
	}
	return &b, nil
}

// intField reads a whole-number key; a templated one reads as unset.
func (r *reader) intField(p pair) (*int, error) {
	if isNull(p.value) || r.templated(p.value) {
		return nil, nil
	}
	i, err := integer(p.value)
	if err != nil {
		return nil, err
	}
	if i < 0 {
		return nil, fmt.Errorf("%d is negative", i)
	}
	return &i, nil
}

// templated reports whether a scalar holds a template action.
func (r *reader) templated(n *yaml.Node) bool {
	s, ok := scalar(n)
	return ok && hasTemplate(s)
}

// seconds writes a helmfile timeout in seconds as a kaji duration.
func seconds(s int) string {
	return strconv.Itoa(s) + "s"
}
