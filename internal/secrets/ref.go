// Package secrets finds references to secrets in Helm values and resolves them in memory.
//
// A string value that is, as a whole, a reference in the helmfile/vals syntax is replaced by
// the value it names:
//
//	ref+awsssm://PATH[?region=R][#/json/key]
//	ref+awssecrets://NAME_OR_ARN[?region=R&version_stage=S&version_id=ID][#/json/key]
//
// secretref+ may stand for ref+; every resolved value is secret whichever prefix it has.
package secrets

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Backend is where a reference's value is kept.
type Backend string

// The backends kaji resolves.
const (
	// SSM is AWS Systems Manager Parameter Store (ref+awsssm://).
	SSM Backend = "awsssm"
	// SecretsManager is AWS Secrets Manager (ref+awssecrets://).
	SecretsManager Backend = "awssecrets"
)

// Ref is a parsed reference.
type Ref struct {
	// Raw is the reference as written, the label it is shown under instead of its value.
	Raw     string
	Backend Backend
	// Name is the SSM parameter name, always with its leading slash as vals sends it
	// (ref+awsssm://a/b and ref+awsssm:///a/b both name /a/b), or the Secrets Manager
	// secret name or ARN as written.
	Name string
	// Region is the AWS region the value is read from; empty means kaji's own region.
	Region string
	// VersionStage and VersionID pick a Secrets Manager version; both empty mean AWSCURRENT.
	VersionStage string
	VersionID    string
	// Key is the decoded JSON pointer of the #/json/key fragment, one element per level;
	// nil when the reference names the whole value.
	Key []string
}

// Label is what a resolved value is shown as: the reference as written.
func (r Ref) Label() string { return r.Raw }

// KeyPointer is Key written back as a JSON pointer (/a/b), or "" when Key is nil.
func (r Ref) KeyPointer() string {
	if r.Key == nil {
		return ""
	}
	var b strings.Builder
	for _, k := range r.Key {
		b.WriteString("/")
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(k))
	}
	return b.String()
}

// refPrefix matches what makes a string a reference at all: ref+ or secretref+ and a
// backend scheme, as vals recognises them.
var refPrefix = regexp.MustCompile(`^(secret)?ref\+([a-z0-9]*)://`)

// embeddedRef finds a reference to a backend kaji resolves inside a longer string.
var embeddedRef = regexp.MustCompile(`(secret)?ref\+(awsssm|awssecrets)://`)

// queryKeys are the query keys each backend accepts.
var queryKeys = map[Backend][]string{
	SSM:            {"region", "mode"},
	SecretsManager: {"region", "version_stage", "version_id"},
}

// Parse reads s as a reference. The bool says whether s is a reference at all (ref+ or
// secretref+ followed by a scheme); the error says what is wrong with one that is and how
// to write it.
func Parse(s string) (Ref, bool, error) {
	m := refPrefix.FindStringSubmatch(s)
	if m == nil {
		if loc := embeddedRef.FindStringIndex(s); loc != nil {
			return Ref{Raw: s}, true, fmt.Errorf("a reference must be the whole value, but %q has text before it; kaji does not splice references into longer strings, so move the text into the chart or store the whole value in the parameter or secret", s[loc[0]:])
		}
		return Ref{}, false, nil
	}
	ref := Ref{Raw: s, Backend: Backend(m[2])}
	switch ref.Backend {
	case SSM, SecretsManager:
	default:
		return ref, true, fmt.Errorf("unknown backend %q in %s; kaji resolves ref+awsssm://PATH and ref+awssecrets://NAME_OR_ARN", m[2], s)
	}
	rest := strings.TrimPrefix(s, m[0])
	// vals ends a reference embedded in a string with "+"; accept it at the end.
	rest = strings.TrimSuffix(rest, "+")
	rest, fragment, hasFragment := strings.Cut(rest, "#")
	name, query, _ := strings.Cut(rest, "?")
	if err := ref.setName(name); err != nil {
		return ref, true, err
	}
	if err := ref.setQuery(query); err != nil {
		return ref, true, err
	}
	if hasFragment {
		key, err := parseFragment(fragment)
		if err != nil {
			return ref, true, fmt.Errorf("%s: %w", s, err)
		}
		ref.Key = key
	}
	return ref, true, nil
}

func (r *Ref) setName(name string) error {
	if strings.Trim(name, "/") == "" {
		if r.Backend == SSM {
			return fmt.Errorf("%s names no parameter; write ref+awsssm://PATH/TO/PARAM (the leading slash of the parameter name is optional)", r.Raw)
		}
		return fmt.Errorf("%s names no secret; write ref+awssecrets://NAME or ref+awssecrets://arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME", r.Raw)
	}
	if strings.ContainsAny(name, " \t\r\n") {
		return fmt.Errorf("%s: the name %q has white space, which AWS does not allow in names", r.Raw, name)
	}
	if r.Backend == SSM {
		if strings.HasPrefix(name, "arn:") {
			return fmt.Errorf("%s: write the parameter's name, not its ARN (ref+awsssm://PATH/TO/PARAM), and its region with ?region=R", r.Raw)
		}
		if !strings.HasPrefix(name, "/") {
			name = "/" + name
		}
		if strings.Contains(name, "//") || strings.HasSuffix(name, "/") {
			return fmt.Errorf("%s: the parameter name %q has an empty level; write ref+awsssm://a/b/c", r.Raw, name)
		}
	}
	r.Name = name
	return nil
}

func (r *Ref) setQuery(query string) error {
	if query == "" {
		return nil
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return fmt.Errorf("%s: the query %q is not KEY=VALUE&...: %w", r.Raw, query, err)
	}
	allowed := queryKeys[r.Backend]
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !slices.Contains(allowed, k) {
			hint := ""
			switch k {
			case "role_arn", "profile":
				hint = "; kaji reads secrets with its own AWS credentials (those of cluster.eks, or the ambient chain), so remove it and grant that identity access"
			case "version":
				hint = "; kaji reads the current version of a parameter"
			}
			return fmt.Errorf("%s: unknown query key %q; %s references take %s%s", r.Raw, k, r.Backend, strings.Join(allowed, ", "), hint)
		}
		v := q[k]
		if len(v) != 1 || v[0] == "" {
			return fmt.Errorf("%s: query key %q needs exactly one non-empty value", r.Raw, k)
		}
		switch k {
		case "region":
			r.Region = v[0]
		case "version_stage":
			r.VersionStage = v[0]
		case "version_id":
			r.VersionID = v[0]
		case "mode":
			if v[0] != "singleparam" {
				return fmt.Errorf("%s: mode=%s is not supported; kaji reads the one parameter named and, with #/key, the key inside its JSON or YAML (vals' mode=singleparam); to read parameter /a/b write ref+awsssm://a/b", r.Raw, v[0])
			}
		}
	}
	return nil
}

// parseFragment decodes #/a/b (a JSON pointer; vals also accepts it without the leading
// slash) into its keys.
func parseFragment(fragment string) ([]string, error) {
	p := strings.TrimPrefix(fragment, "/")
	if p == "" {
		return nil, fmt.Errorf("the fragment #%s picks no key; write #/key or #/outer/inner, or drop the # to take the whole value", fragment)
	}
	var keys []string
	for tok := range strings.SplitSeq(p, "/") {
		if tok == "" {
			return nil, fmt.Errorf("the fragment #%s has an empty key; write #/outer/inner", fragment)
		}
		if bad := strings.ReplaceAll(strings.ReplaceAll(tok, "~0", ""), "~1", ""); strings.Contains(bad, "~") {
			return nil, fmt.Errorf("the fragment #%s has a ~ that is neither ~0 (for ~) nor ~1 (for /), as JSON pointers escape them", fragment)
		}
		keys = append(keys, strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~"))
	}
	return keys, nil
}
