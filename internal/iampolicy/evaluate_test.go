package iampolicy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// evalFile is one testdata/eval fixture: policies and the requests to evaluate against them.
type evalFile struct {
	Kind     string `json:"kind"` // "resource" or "identity"
	Policies []struct {
		Name     string          `json:"name"`
		Document json.RawMessage `json:"document"`
	} `json:"policies"`
	Cases []struct {
		Name      string `json:"name"`
		Principal struct {
			Type    PrincipalType `json:"type"`
			ARN     string        `json:"arn"`
			RoleARN string        `json:"roleArn"`
			Account string        `json:"account"`
		} `json:"principal"`
		Action      string              `json:"action"`
		Resource    string              `json:"resource"`
		Context     map[string][]string `json:"context"`
		Absent      []string            `json:"absent"`
		Complete    bool                `json:"complete"`
		Want        string              `json:"want"`
		WantMatched []string            `json:"wantMatched"`
		WantMissing []string            `json:"wantMissing"`
	} `json:"cases"`
}

func TestEvaluateFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/eval/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			var f evalFile
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &f); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			var policies []Named
			for _, p := range f.Policies {
				parsed, err := Parse(p.Document)
				if err != nil {
					t.Fatalf("policy %s: %v", p.Name, err)
				}
				policies = append(policies, Named{Name: p.Name, Policy: parsed})
			}
			for _, c := range f.Cases {
				t.Run(c.Name, func(t *testing.T) {
					req := Request{
						Principal: Principal{Type: c.Principal.Type, ARN: c.Principal.ARN, RoleARN: c.Principal.RoleARN, Account: c.Principal.Account},
						Action:    c.Action,
						Resource:  c.Resource,
					}
					for k, v := range c.Context {
						req.Context.Set(k, v...)
					}
					req.Context.Absent(c.Absent...)
					req.Context.Complete = c.Complete
					var got Result
					switch f.Kind {
					case "resource":
						if len(policies) != 1 {
							t.Fatalf("resource fixtures hold one policy, got %d", len(policies))
						}
						got = EvaluateResource(req, policies[0])
					case "identity":
						got = EvaluateIdentity(req, policies...)
					default:
						t.Fatalf("kind %q: want resource or identity", f.Kind)
					}
					if got.Decision.String() != c.Want {
						t.Errorf("decision = %s, want %s (result %+v)", got.Decision, c.Want, got)
					}
					if c.WantMatched != nil {
						var names []string
						for _, m := range got.Matched {
							names = append(names, m.String())
						}
						if !slices.Equal(names, c.WantMatched) {
							t.Errorf("matched = %q, want %q", names, c.WantMatched)
						}
					}
					if c.WantMissing != nil && !slices.Equal(got.Missing, c.WantMissing) {
						t.Errorf("missing = %q, want %q", got.Missing, c.WantMissing)
					}
				})
			}
		})
	}
}

func TestParseRejectsInvalid(t *testing.T) {
	var want map[string]string
	data, err := os.ReadFile("testdata/invalid/want.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/invalid/*.json")
	if len(files) != len(want)+1 {
		t.Fatalf("%d fixtures but %d expectations", len(files)-1, len(want))
	}
	for name, substr := range want {
		t.Run(name, func(t *testing.T) {
			doc, err := os.ReadFile(filepath.Join("testdata/invalid", name))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(doc)
			if err == nil || !strings.Contains(err.Error(), substr) {
				t.Errorf("Parse error = %v, want one containing %q", err, substr)
			}
		})
	}
}

func TestParseStringOrList(t *testing.T) {
	p, err := Parse([]byte(`{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["a", "b"],
		"Principal": {"AWS": "arn:aws:iam::1:user/a", "Service": ["x.amazonaws.com"]},
		"Condition": {"NumericEquals": {"k": 3}, "Bool": {"b": [true, false]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	st := p.Statements[0]
	if !slices.Equal(st.Action, []string{"s3:GetObject"}) || !slices.Equal(st.Resource, []string{"a", "b"}) {
		t.Errorf("action %q resource %q", st.Action, st.Resource)
	}
	if !slices.Equal(st.Principal.AWS, []string{"arn:aws:iam::1:user/a"}) || !slices.Equal(st.Principal.Service, []string{"x.amazonaws.com"}) {
		t.Errorf("principal %+v", st.Principal)
	}
	if !slices.Equal(st.Condition["NumericEquals"]["k"], []string{"3"}) || !slices.Equal(st.Condition["Bool"]["b"], []string{"true", "false"}) {
		t.Errorf("condition %v", st.Condition)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*-prod-*", "eks-prod-1", true},
		{"**x", "abx", true},
		{"a*b*c", "aXbYbZc", true},
		{"", "a", false},
	} {
		if got := globMatch(c.pattern, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestAuthorizeAssumeRole(t *testing.T) {
	allow := Result{Decision: Allow}
	delegated := Result{Decision: DelegatedToAccount}
	implicit := Result{Decision: ImplicitDeny}
	deny := Result{Decision: ExplicitDeny}
	unknownAllow := Result{Decision: Unknown}
	unknownDeny := Result{Decision: Unknown, UndecidedDeny: true}
	for _, c := range []struct {
		name            string
		trust, identity Result
		sameAccount     bool
		want            Decision
	}{
		{"trust names caller, same account, no identity policy", allow, implicit, true, Allow},
		{"trust names caller, other account, no identity policy", allow, implicit, false, ImplicitDeny},
		{"trust names caller, other account, identity allows", allow, allow, false, Allow},
		{"trust delegates, identity allows", delegated, allow, true, Allow},
		{"trust delegates, identity silent", delegated, implicit, true, ImplicitDeny},
		{"trust delegates, identity unknown", delegated, unknownAllow, true, Unknown},
		{"trust silent, identity allows", implicit, allow, true, ImplicitDeny},
		{"identity denies", allow, deny, true, ExplicitDeny},
		{"trust denies", deny, allow, true, ExplicitDeny},
		{"trust allows, identity might deny", allow, unknownDeny, true, Unknown},
		{"trust allows, identity might allow", allow, unknownAllow, true, Allow},
		{"trust unknown", unknownAllow, allow, true, Unknown},
	} {
		if got := AuthorizeAssumeRole(c.trust, c.identity, c.sameAccount).Decision; got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
