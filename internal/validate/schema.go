package validate

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/secrets"
	"kaji.dev/kaji/internal/spec"
)

// violation is one value that a values schema rejects.
type violation struct {
	chart   string
	path    []string
	message string
}

// schemas compiles each distinct values.schema.json once per run.
type schemas struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]*compiled
}

type compiled struct {
	once   sync.Once
	schema *jsonschema.Schema
	err    error
}

var english = message.NewPrinter(language.English)

// checkSchema validates the values of a prepared release against the schemas of its chart and
// enabled subcharts, and reports each violation at the user's key that caused it, or at the
// release when no user key did.
func (v *validator) checkSchema(r spec.ResolvedRelease, prep *render.Prepared, layers []*layer) []Finding {
	var vs []violation
	v.schemas.violations(prep.Chart, map[string]any(prep.Values), nil, &vs)
	var out []Finding
	seen := map[string]bool{}
	for _, x := range vs {
		key := strings.Join(x.path, "\x00") + "\x01" + x.message
		if seen[key] {
			continue
		}
		seen[key] = true
		pos := r.Pos
		sev, note := Error, ""
		if w := winner(layers, x.path); w != nil {
			pos, _ = w.pos(v.doc, x.path)
			if standIn(w, x.path) {
				// Offline, the value is a reference or a SOPS placeholder, not the secret:
				// the schema checks the real value at plan and apply.
				sev, note = Info, "; the value is a secret that validate does not read, so plan and apply check it"
			}
		}
		out = append(out, Finding{
			Severity: sev, Code: CodeSchema, Release: r.Name, Pos: pos, Path: x.path,
			Message: oneLine(fmt.Sprintf("%s (values.schema.json of chart %s)%s", x.message, x.chart, note)),
		})
	}
	return out
}

// standIn reports whether the value of l at path stands in for a secret offline: a value of
// a SOPS file, or a reference.
func standIn(l *layer, path []string) bool {
	if l.sops {
		return true
	}
	s, ok := valueAt(l.vals, path)
	if !ok {
		return false
	}
	str, ok := s.(string)
	if !ok {
		return false
	}
	_, isRef, _ := secrets.Parse(str)
	return isRef
}

// violations validates vals against the schema of ch and, for each subchart that has values,
// the subchart's values against its schema, exactly as Helm's util.ValidateAgainstSchema does.
// prefix is where ch's values sit in the release's values.
func (s *schemas) violations(ch *chartv2.Chart, vals map[string]any, prefix []string, out *[]violation) {
	if ch.Schema != nil {
		for _, x := range s.validate(ch.Schema, vals) {
			x.chart = ch.Name()
			x.path = append(slices.Clone(prefix), x.path...)
			*out = append(*out, x)
		}
	}
	for _, sub := range ch.Dependencies() {
		raw, ok := vals[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		subPath := append(slices.Clone(prefix), sub.Name())
		m, ok := raw.(map[string]any)
		if !ok {
			*out = append(*out, violation{chart: sub.Name(), path: subPath,
				message: fmt.Sprintf("the values of subchart %s must be a mapping, got %T", sub.Name(), raw)})
			continue
		}
		s.violations(sub, m, subPath, out)
	}
}

// validate checks vals against one schema document.
func (s *schemas) validate(schemaJSON []byte, vals map[string]any) (out []violation) {
	defer func() {
		if r := recover(); r != nil {
			out = []violation{{message: fmt.Sprintf("the schema cannot be checked: %v", r)}}
		}
	}()
	sch, err := s.compile(schemaJSON)
	if err != nil {
		return []violation{{message: oneLine(fmt.Sprintf("the chart's values.schema.json is not a usable schema: %v", err))}}
	}
	err = sch.Validate(vals)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []violation{{message: oneLine(err.Error())}}
	}
	collect(ve, &out)
	return out
}

// collect turns a tree of validation errors into violations: one for each leaf, one for each
// missing required property and each property not allowed, and one for each anyOf or oneOf
// that nothing matched, which names what each branch wanted.
func collect(ve *jsonschema.ValidationError, out *[]violation) {
	loc := slices.Clone(ve.InstanceLocation)
	switch k := ve.ErrorKind.(type) {
	case *kind.Required:
		for _, p := range k.Missing {
			*out = append(*out, violation{path: append(slices.Clone(loc), p), message: "is required"})
		}
		return
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			*out = append(*out, violation{path: append(slices.Clone(loc), p), message: "is not allowed: the schema lists no such property"})
		}
		return
	case *kind.AnyOf, *kind.OneOf:
		var why []string
		for _, c := range ve.Causes {
			// The branches come in order; the errors within one may not: sort them.
			branch := leafMessages(c, len(loc))
			slices.Sort(branch)
			why = append(why, branch...)
		}
		msg := ve.ErrorKind.LocalizedString(english)
		if len(why) > 0 {
			msg += ": " + strings.Join(why, "; ")
		}
		*out = append(*out, violation{path: loc, message: msg})
		return
	}
	if len(ve.Causes) == 0 {
		*out = append(*out, violation{path: loc, message: ve.ErrorKind.LocalizedString(english)})
		return
	}
	for _, c := range ve.Causes {
		collect(c, out)
	}
}

// leafMessages lists the messages of the leaves of an error tree, each with its location
// when that is below depth, the depth of the violation they explain.
func leafMessages(ve *jsonschema.ValidationError, depth int) []string {
	if len(ve.Causes) == 0 {
		msg := ve.ErrorKind.LocalizedString(english)
		if len(ve.InstanceLocation) > depth {
			msg = "at " + KeyPath(ve.InstanceLocation[depth:]) + ": " + msg
		}
		return []string{msg}
	}
	var out []string
	for _, c := range ve.Causes {
		out = append(out, leafMessages(c, depth)...)
	}
	return out
}

// compile compiles a schema document the way Helm's util.ValidateAgainstSingleSchema does,
// with the same loaders for $ref, once per distinct document.
func (s *schemas) compile(schemaJSON []byte) (*jsonschema.Schema, error) {
	key := sha256.Sum256(schemaJSON)
	s.mu.Lock()
	if s.m == nil {
		s.m = map[[sha256.Size]byte]*compiled{}
	}
	c, ok := s.m[key]
	if !ok {
		c = &compiled{}
		s.m[key] = c
	}
	s.mu.Unlock()
	c.once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
		if err != nil {
			c.err = err
			return
		}
		httpLoader := util.HTTPURLLoader(http.Client{
			Timeout:   15 * time.Second,
			Transport: &http.Transport{Proxy: http.ProxyFromEnvironment},
		})
		compiler := jsonschema.NewCompiler()
		compiler.UseLoader(jsonschema.SchemeURLLoader{
			"file":  jsonschema.FileLoader{},
			"http":  &httpLoader,
			"https": &httpLoader,
			"urn":   urnLoader{},
		})
		if c.err = compiler.AddResource("file:///values.schema.json", doc); c.err != nil {
			return
		}
		c.schema, c.err = compiler.Compile("file:///values.schema.json")
	})
	return c.schema, c.err
}

// urnLoader resolves urn: references as Helm does: through util.URNResolver, and as a schema
// that accepts anything when that fails.
type urnLoader struct{}

func (urnLoader) Load(urn string) (any, error) {
	if doc, err := util.URNResolver(urn); err == nil && doc != nil {
		return doc, nil
	}
	return jsonschema.UnmarshalJSON(strings.NewReader("true"))
}
