package iampolicy

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// setQualifier is the ForAnyValue: or ForAllValues: prefix of an operator.
type setQualifier int

const (
	setNone setQualifier = iota
	setAny
	setAll
)

// operator is a parsed condition operator.
type operator struct {
	base     string
	set      setQualifier
	ifExists bool
	negated  bool
	compare  func(policy, value string) (bool, error)
}

// baseOperators maps each supported operator to its comparison and whether it is negated.
var baseOperators = map[string]struct {
	negated bool
	compare func(policy, value string) (bool, error)
}{
	"StringEquals":              {false, func(p, v string) (bool, error) { return p == v, nil }},
	"StringNotEquals":           {true, func(p, v string) (bool, error) { return p == v, nil }},
	"StringEqualsIgnoreCase":    {false, func(p, v string) (bool, error) { return strings.EqualFold(p, v), nil }},
	"StringNotEqualsIgnoreCase": {true, func(p, v string) (bool, error) { return strings.EqualFold(p, v), nil }},
	"StringLike":                {false, func(p, v string) (bool, error) { return globMatch(p, v), nil }},
	"StringNotLike":             {true, func(p, v string) (bool, error) { return globMatch(p, v), nil }},
	"ArnEquals":                 {false, func(p, v string) (bool, error) { return matchARN(p, v), nil }},
	"ArnLike":                   {false, func(p, v string) (bool, error) { return matchARN(p, v), nil }},
	"ArnNotEquals":              {true, func(p, v string) (bool, error) { return matchARN(p, v), nil }},
	"ArnNotLike":                {true, func(p, v string) (bool, error) { return matchARN(p, v), nil }},
	"Bool":                      {false, func(p, v string) (bool, error) { return strings.EqualFold(p, v), nil }},
	"NumericEquals":             {false, numeric(func(c int) bool { return c == 0 })},
	"NumericNotEquals":          {true, numeric(func(c int) bool { return c == 0 })},
	"NumericLessThan":           {false, numeric(func(c int) bool { return c < 0 })},
	"NumericLessThanEquals":     {false, numeric(func(c int) bool { return c <= 0 })},
	"NumericGreaterThan":        {false, numeric(func(c int) bool { return c > 0 })},
	"NumericGreaterThanEquals":  {false, numeric(func(c int) bool { return c >= 0 })},
	"DateEquals":                {false, date(func(c int) bool { return c == 0 })},
	"DateNotEquals":             {true, date(func(c int) bool { return c == 0 })},
	"DateLessThan":              {false, date(func(c int) bool { return c < 0 })},
	"DateLessThanEquals":        {false, date(func(c int) bool { return c <= 0 })},
	"DateGreaterThan":           {false, date(func(c int) bool { return c > 0 })},
	"DateGreaterThanEquals":     {false, date(func(c int) bool { return c >= 0 })},
	"IpAddress":                 {false, ipInRange},
	"NotIpAddress":              {true, ipInRange},
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts. ok is false for
// operators the evaluator does not know (BinaryEquals, for one).
func parseOperator(name string) (operator, bool) {
	op := operator{}
	switch {
	case strings.HasPrefix(name, "ForAnyValue:"):
		op.set, name = setAny, strings.TrimPrefix(name, "ForAnyValue:")
	case strings.HasPrefix(name, "ForAllValues:"):
		op.set, name = setAll, strings.TrimPrefix(name, "ForAllValues:")
	}
	if name != "Null" && strings.HasSuffix(name, "IfExists") {
		op.ifExists, name = true, strings.TrimSuffix(name, "IfExists")
	}
	op.base = name
	if name == "Null" {
		return op, op.set == setNone
	}
	b, ok := baseOperators[name]
	if !ok {
		return op, false
	}
	op.negated, op.compare = b.negated, b.compare
	return op, true
}

// numeric compares a request value with a policy value as numbers; ok judges the sign of
// value minus policy value.
func numeric(ok func(int) bool) func(p, v string) (bool, error) {
	return func(p, v string) (bool, error) {
		pf, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return false, fmt.Errorf("policy value %q is not a number", p)
		}
		vf, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false, nil
		}
		return ok(cmp(vf, pf)), nil
	}
}

// date compares a request value with a policy value as dates (RFC 3339, a day, or epoch
// seconds).
func date(ok func(int) bool) func(p, v string) (bool, error) {
	return func(p, v string) (bool, error) {
		pt, err := parseDate(p)
		if err != nil {
			return false, fmt.Errorf("policy value %q is not a date", p)
		}
		vt, err := parseDate(v)
		if err != nil {
			return false, nil
		}
		return ok(vt.Compare(pt)), nil
	}
}

func parseDate(s string) (time.Time, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date: %q", s)
}

func ipInRange(p, v string) (bool, error) {
	prefix, err := netip.ParsePrefix(p)
	if err != nil {
		addr, aerr := netip.ParseAddr(p)
		if aerr != nil {
			return false, fmt.Errorf("policy value %q is not an IP range", p)
		}
		prefix = netip.PrefixFrom(addr, addr.BitLen())
	}
	addr, err := netip.ParseAddr(v)
	if err != nil {
		return false, nil
	}
	return prefix.Contains(addr), nil
}

func cmp(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// conditionResult is the outcome of a Condition block.
type conditionResult struct {
	value tri
	// unknown explains what made the value unknown: an operator or key.
	unknown []string
}

// evalCondition evaluates a Condition block: every operator, and every key under it, must
// hold.
func evalCondition(cond map[string]map[string][]string, ctx Context) conditionResult {
	res := conditionResult{value: triTrue}
	for name, keys := range cond {
		op, ok := parseOperator(name)
		if !ok {
			res.value = res.value.and(triUnknown)
			res.unknown = append(res.unknown, "operator "+name)
			continue
		}
		for key, policyValues := range keys {
			v, why := evalKey(op, key, policyValues, ctx)
			res.value = res.value.and(v)
			if v == triUnknown {
				res.unknown = append(res.unknown, why)
			}
		}
	}
	return res
}

// evalKey evaluates one key under one operator.
func evalKey(op operator, key string, policyValues []string, ctx Context) (tri, string) {
	values, present, known := ctx.lookup(key)
	if !known {
		return triUnknown, "key " + key
	}
	if op.base == "Null" {
		want := len(policyValues) == 1 && strings.EqualFold(policyValues[0], "true")
		return triOf(want == !present), ""
	}
	if !present {
		switch {
		case op.ifExists, op.set == setAll:
			return triTrue, ""
		case op.set == setAny:
			return triFalse, ""
		}
		return triOf(op.negated), ""
	}
	// Expand policy variables in the policy values of string and ARN operators.
	expanded := make([]string, 0, len(policyValues))
	for _, pv := range policyValues {
		s, ok, missing := substitute(pv, ctx)
		switch ok {
		case triUnknown:
			return triUnknown, "key " + missing
		case triTrue:
			expanded = append(expanded, s)
		}
	}
	// matches reports whether one context value matches any policy value.
	matches := func(v string) (bool, error) {
		for _, pv := range expanded {
			ok, err := op.compare(pv, v)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		}
		return false, nil
	}
	// hit is the per-value verdict: a match for positive operators, no match for negated ones.
	anyHit, allHit := false, true
	for _, v := range values {
		m, err := matches(v)
		if err != nil {
			return triUnknown, fmt.Sprintf("%s %s: %v", op.base, key, err)
		}
		hit := m != op.negated
		anyHit = anyHit || hit
		allHit = allHit && hit
	}
	switch op.set {
	case setAll:
		return triOf(allHit), ""
	case setAny:
		return triOf(anyHit), ""
	}
	if op.negated {
		// A negated operator holds only if no value matched.
		return triOf(allHit), ""
	}
	return triOf(anyHit), ""
}
