package iampolicy

import (
	"strings"
)

// globMatch reports whether s matches pattern, where * matches any run of characters and ?
// any single character.
func globMatch(pattern, s string) bool {
	// Iterative matching with backtracking to the last star.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchAction matches an action pattern such as "eks:Describe*"; actions ignore case.
func matchAction(pattern, action string) bool {
	return globMatch(strings.ToLower(pattern), strings.ToLower(action))
}

// matchARN compares two ARNs component by component, each component a glob, as ArnLike and
// the Resource element do. A pattern of "*" matches anything.
func matchARN(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp := strings.SplitN(pattern, ":", 6)
	ap := strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return globMatch(pattern, arn)
	}
	for i := range pp {
		if !globMatch(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// tri is a three-valued truth: true, false or unknown.
type tri int

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// and combines: false wins over unknown, unknown over true.
func (t tri) and(u tri) tri {
	switch {
	case t == triFalse || u == triFalse:
		return triFalse
	case t == triUnknown || u == triUnknown:
		return triUnknown
	}
	return triTrue
}

// or combines: true wins over unknown, unknown over false.
func (t tri) or(u tri) tri {
	switch {
	case t == triTrue || u == triTrue:
		return triTrue
	case t == triUnknown || u == triUnknown:
		return triUnknown
	}
	return triFalse
}

func (t tri) not() tri {
	switch t {
	case triTrue:
		return triFalse
	case triFalse:
		return triTrue
	}
	return triUnknown
}

// substitute replaces policy variables (${aws:username}, ${*}, ${?}, ${$}) in s. A variable
// whose key is absent makes the value unusable (false); an unknown key makes it unknown.
// Multi-valued keys cannot be used as variables and make the value unusable, as in AWS.
func substitute(s string, ctx Context) (string, tri, string) {
	if !strings.Contains(s, "${") {
		return s, triTrue, ""
	}
	var b strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			b.WriteString(s)
			return b.String(), triTrue, ""
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			b.WriteString(s)
			return b.String(), triTrue, ""
		}
		b.WriteString(s[:start])
		name := s[start+2 : start+end]
		s = s[start+end+1:]
		switch name {
		case "*", "?", "$":
			b.WriteString(name)
			continue
		}
		// ${key, 'default'} supplies a value for a missing key.
		key, def, hasDefault := strings.Cut(name, ",")
		key = strings.TrimSpace(key)
		vals, present, known := ctx.lookup(key)
		switch {
		case !known:
			return "", triUnknown, key
		case present && len(vals) == 1:
			b.WriteString(vals[0])
		case !present && hasDefault:
			b.WriteString(strings.Trim(strings.TrimSpace(def), "'"))
		default:
			return "", triFalse, ""
		}
	}
}

// matchResources matches the request's resource against a Resource (or NotResource) list.
func matchResources(patterns []string, resource string, ctx Context) (tri, []string) {
	result := triFalse
	var missing []string
	for _, p := range patterns {
		pat, ok, key := substitute(p, ctx)
		if ok == triUnknown {
			result = result.or(triUnknown)
			missing = append(missing, key)
			continue
		}
		if ok == triTrue && matchARN(pat, resource) {
			return triTrue, nil
		}
	}
	return result, missing
}

// principalMatch is how a principal element matched a caller.
type principalMatch int

const (
	principalNoMatch principalMatch = iota
	// principalExact named the caller (or "*").
	principalExact
	// principalAccount named the caller's account: the account's IAM policies decide.
	principalAccount
)

// matchPrincipals matches a Principal element against the caller.
func matchPrincipals(ps *Principals, who Principal) principalMatch {
	if ps.Any {
		return principalExact
	}
	best := principalNoMatch
	switch who.Type {
	case PrincipalService:
		for _, s := range ps.Service {
			if s == "*" || strings.EqualFold(s, who.ARN) {
				return principalExact
			}
		}
		return principalNoMatch
	case PrincipalFederated:
		for _, s := range ps.Federated {
			if s == "*" || s == who.ARN {
				return principalExact
			}
		}
		return principalNoMatch
	}
	for _, a := range ps.AWS {
		switch {
		case a == "*":
			return principalExact
		case a == who.ARN || (who.RoleARN != "" && a == who.RoleARN):
			return principalExact
		case who.Type == PrincipalAccountRoot && isAccountForm(a, who.Account):
			return principalExact
		case isAccountForm(a, who.Account):
			best = principalAccount
		}
	}
	return best
}

// isAccountForm reports whether a is "ACCOUNT" or "arn:PARTITION:iam::ACCOUNT:root" for account.
func isAccountForm(a, account string) bool {
	if account == "" {
		return false
	}
	if a == account {
		return true
	}
	parts := strings.Split(a, ":")
	return len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && parts[4] == account && parts[5] == "root"
}
