// Package iampolicy evaluates AWS IAM policy documents offline: role trust policies (who may
// sts:AssumeRole a role) and identity policies (what a user or role may do).
//
// It covers the parts of the policy language that decide whether kaji can reach an EKS
// cluster: Principal (exact ARNs, "*", the account forms, AWS/Service/Federated), Action and
// NotAction, Resource and NotResource with wildcards and policy variables, Deny before
// Allow, and the common Condition operators. What it cannot decide it reports as Unknown,
// never as Allow.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Effect is a statement's Effect.
type Effect string

// The two effects a statement can have.
const (
	EffectAllow Effect = "Allow"
	EffectDeny  Effect = "Deny"
)

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy. A nil list means the element is absent.
type Statement struct {
	Sid          string
	Effect       Effect
	Principal    *Principals
	NotPrincipal *Principals
	Action       []string
	NotAction    []string
	Resource     []string
	NotResource  []string
	// Condition maps an operator (such as "StringEquals" or "ForAnyValue:StringLike") to
	// condition keys and their values. Values are kept as strings, as AWS compares them.
	Condition map[string]map[string][]string
}

// Principals is a Principal or NotPrincipal element.
type Principals struct {
	// Any is true for "Principal": "*".
	Any           bool
	AWS           []string
	Service       []string
	Federated     []string
	CanonicalUser []string
}

// Parse reads a JSON policy document. Statement, Action, Resource and the principal lists
// may each be a string or a list of strings.
func Parse(data []byte) (*Policy, error) {
	var raw struct {
		Version   string          `json:"Version"`
		ID        string          `json:"Id"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := strictUnmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse policy: %w", err)
	}
	if len(raw.Statement) == 0 {
		return nil, errors.New("parse policy: no Statement")
	}
	var rawStatements []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(raw.Statement), []byte("[")) {
		if err := json.Unmarshal(raw.Statement, &rawStatements); err != nil {
			return nil, fmt.Errorf("parse policy: Statement: %w", err)
		}
	} else {
		rawStatements = []json.RawMessage{raw.Statement}
	}
	p := &Policy{Version: raw.Version, ID: raw.ID}
	for i, rs := range rawStatements {
		st, err := parseStatement(rs)
		if err != nil {
			return nil, fmt.Errorf("parse policy: statement %d: %w", i, err)
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

type rawStatement struct {
	Sid          string                                `json:"Sid"`
	Effect       Effect                                `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       stringList                            `json:"Action"`
	NotAction    stringList                            `json:"NotAction"`
	Resource     stringList                            `json:"Resource"`
	NotResource  stringList                            `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

func parseStatement(data []byte) (Statement, error) {
	var rs rawStatement
	if err := strictUnmarshal(data, &rs); err != nil {
		return Statement{}, err
	}
	st := Statement{
		Sid:         rs.Sid,
		Effect:      rs.Effect,
		Action:      rs.Action.values,
		NotAction:   rs.NotAction.values,
		Resource:    rs.Resource.values,
		NotResource: rs.NotResource.values,
	}
	if st.Effect != EffectAllow && st.Effect != EffectDeny {
		return Statement{}, fmt.Errorf("Effect %q: want Allow or Deny", rs.Effect)
	}
	if (st.Action == nil) == (st.NotAction == nil) {
		return Statement{}, errors.New("want exactly one of Action and NotAction")
	}
	if st.Resource != nil && st.NotResource != nil {
		return Statement{}, errors.New("want at most one of Resource and NotResource")
	}
	var err error
	if st.Principal, err = parsePrincipals(rs.Principal); err != nil {
		return Statement{}, fmt.Errorf("Principal: %w", err)
	}
	if st.NotPrincipal, err = parsePrincipals(rs.NotPrincipal); err != nil {
		return Statement{}, fmt.Errorf("NotPrincipal: %w", err)
	}
	if st.Principal != nil && st.NotPrincipal != nil {
		return Statement{}, errors.New("want at most one of Principal and NotPrincipal")
	}
	if st.Condition, err = parseCondition(rs.Condition); err != nil {
		return Statement{}, err
	}
	return st, nil
}

func parsePrincipals(data json.RawMessage) (*Principals, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		if s != "*" {
			return nil, fmt.Errorf("string principal %q: want \"*\" or an object", s)
		}
		return &Principals{Any: true}, nil
	}
	var m map[string]stringList
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	p := &Principals{}
	for k, v := range m {
		switch k {
		case "AWS":
			p.AWS = v.values
		case "Service":
			p.Service = v.values
		case "Federated":
			p.Federated = v.values
		case "CanonicalUser":
			p.CanonicalUser = v.values
		default:
			return nil, fmt.Errorf("unknown principal type %q: want AWS, Service, Federated or CanonicalUser", k)
		}
	}
	for _, a := range p.AWS {
		if a != "*" && strings.ContainsAny(a, "*?") {
			return nil, fmt.Errorf("AWS principal %q: wildcards are only allowed as \"*\" on its own", a)
		}
	}
	return p, nil
}

func parseCondition(raw map[string]map[string]json.RawMessage) (map[string]map[string][]string, error) {
	if raw == nil {
		return nil, nil
	}
	out := make(map[string]map[string][]string, len(raw))
	for op, keys := range raw {
		out[op] = make(map[string][]string, len(keys))
		for key, v := range keys {
			vals, err := scalarList(v)
			if err != nil {
				return nil, fmt.Errorf("Condition %s %s: %w", op, key, err)
			}
			out[op][key] = vals
		}
	}
	return out, nil
}

// scalarList reads a condition value: a string, number or bool, or a list of them.
func scalarList(data json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		switch x := it.(type) {
		case string:
			out = append(out, x)
		case json.Number:
			out = append(out, x.String())
		case bool:
			out = append(out, fmt.Sprint(x))
		default:
			return nil, fmt.Errorf("value %v: want a string, number or bool", it)
		}
	}
	return out, nil
}

// stringList is a JSON string or list of strings; values stays nil when the element is absent.
type stringList struct{ values []string }

func (l *stringList) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		l.values = []string{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return errors.New("want a string or a list of strings")
	}
	if list == nil {
		list = []string{}
	}
	l.values = list
	return nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
