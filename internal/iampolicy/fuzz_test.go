package iampolicy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzEvaluate parses arbitrary policy documents and evaluates them for arbitrary requests.
// Whatever the input: evaluation gives the same answer twice; an allow names the statements
// that allowed; a policy whose Allow statements are removed allows nothing; and a policy with
// an unconditional Deny of everything added denies explicitly, as identity and as resource
// policy.
func FuzzEvaluate(f *testing.F) {
	files, err := filepath.Glob("testdata/*/*.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var fixture evalFile
		if json.Unmarshal(data, &fixture) != nil || len(fixture.Policies) == 0 {
			f.Add(data, "sts:AssumeRole", "", "arn:aws:iam::111122223333:user/alice", "aws:SourceIp", "10.0.0.1", false)
			continue
		}
		for _, p := range fixture.Policies {
			for _, c := range fixture.Cases {
				key, value := "", ""
				for k, v := range c.Context {
					if len(v) > 0 {
						key, value = k, v[0]
					}
				}
				f.Add([]byte(p.Document), c.Action, c.Resource, c.Principal.ARN, key, value, c.Complete)
			}
		}
	}
	f.Fuzz(func(t *testing.T, doc []byte, action, resource, arn, key, value string, complete bool) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		req := Request{
			Principal: Principal{Type: PrincipalUser, ARN: arn, Account: "111122223333"},
			Action:    action,
			Resource:  resource,
		}
		if key != "" {
			req.Context.Set(key, value)
		}
		req.Context.Complete = complete
		for _, eval := range []struct {
			name string
			run  func(*Policy) Result
			deny Statement
		}{
			{"identity", func(p *Policy) Result { return EvaluateIdentity(req, Named{Name: "p", Policy: p}) },
				Statement{Effect: EffectDeny, Action: []string{"*"}, Resource: []string{"*"}}},
			{"resource", func(p *Policy) Result { return EvaluateResource(req, Named{Name: "p", Policy: p}) },
				Statement{Effect: EffectDeny, Principal: &Principals{Any: true}, Action: []string{"*"}, Resource: []string{"*"}}},
		} {
			got := eval.run(p)
			if again := eval.run(p); again.Decision != got.Decision || len(again.Matched) != len(got.Matched) {
				t.Fatalf("%s: two evaluations differ: %+v and %+v", eval.name, got, again)
			}
			if (got.Decision == Allow || got.Decision == ExplicitDeny) && len(got.Matched) == 0 {
				t.Errorf("%s: %s without a matched statement", eval.name, got.Decision)
			}
			denied := *p
			denied.Statements = append(append([]Statement(nil), p.Statements...), eval.deny)
			if d := eval.run(&denied); d.Decision != ExplicitDeny {
				t.Errorf("%s: with a Deny of everything added: %s, want %s", eval.name, d.Decision, ExplicitDeny)
			}
			noAllow := *p
			noAllow.Statements = nil
			for _, st := range p.Statements {
				if st.Effect != EffectAllow {
					noAllow.Statements = append(noAllow.Statements, st)
				}
			}
			if d := eval.run(&noAllow).Decision; d == Allow || d == DelegatedToAccount {
				t.Errorf("%s: without its Allow statements the policy still gives %s", eval.name, d)
			}
		}
	})
}
