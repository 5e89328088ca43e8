package secrets

import (
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/iampolicy"
)

var updatePolicy = flag.Bool("update-policy", false, "rewrite testdata/permissions-policy.json")

type permissionsCase struct {
	Name  string `json:"name"`
	Scope struct {
		Account string `json:"account"`
		Region  string `json:"region"`
	} `json:"scope"`
	Refs []string `json:"refs"`
	Keys []struct {
		ARN string   `json:"arn"`
		For []string `json:"for"`
	} `json:"keys"`
	Want   []Need   `json:"want"`
	Errors []string `json:"errors"`
}

func loadPermissionCases(t *testing.T) []permissionsCase {
	t.Helper()
	data, err := os.ReadFile("testdata/permissions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var fx struct {
		Cases []permissionsCase `json:"cases"`
	}
	if err := yaml.UnmarshalStrict(data, &fx); err != nil {
		t.Fatal(err)
	}
	return fx.Cases
}

// needsOf parses a case's references and lists what they and its keys need.
func needsOf(t *testing.T, c permissionsCase) ([]Need, error) {
	t.Helper()
	var refs []Ref
	for _, raw := range c.Refs {
		r, ok, err := Parse(raw)
		if !ok || err != nil {
			t.Fatalf("%s: Parse(%q) = %v, %v", c.Name, raw, ok, err)
		}
		refs = append(refs, r)
	}
	needs, err := RefNeeds(refs, Scope{Account: c.Scope.Account, Region: c.Scope.Region})
	var keys []Need
	for _, k := range c.Keys {
		keys = append(keys, DecryptNeed(k.ARN, k.For...))
	}
	return MergeNeeds(needs, keys), err
}

func TestRefNeeds(t *testing.T) {
	for _, c := range loadPermissionCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			got, err := needsOf(t, c)
			if !reflect.DeepEqual(got, c.Want) {
				t.Errorf("needs:\n got %+v\nwant %+v", got, c.Want)
			}
			if len(c.Errors) == 0 && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(c.Errors) > 0 && err == nil {
				t.Fatalf("no error; want one naming %q", c.Errors)
			}
			for _, ref := range c.Errors {
				if !strings.Contains(err.Error(), ref+": no AWS region") {
					t.Errorf("error does not name %s: %v", ref, err)
				}
			}
			if err != nil && strings.Count(err.Error(), "no AWS region") != len(c.Errors) {
				t.Errorf("error names other references too: %v", err)
			}
		})
	}
}

// TestPolicyStable: the document of the needs of every case is the one in testdata, whatever
// the order the needs come in.
func TestPolicyStable(t *testing.T) {
	var all [][]Need
	for _, c := range loadPermissionCases(t) {
		all = append(all, c.Want)
	}
	forward := MergeNeeds(all...)
	var reversed []Need
	for i := len(forward) - 1; i >= 0; i-- {
		reversed = append(reversed, forward[i])
	}
	got, err := Policy(forward).JSON()
	if err != nil {
		t.Fatal(err)
	}
	again, err := Policy(reversed).JSON()
	if err != nil {
		t.Fatal(err)
	}
	if got != again {
		t.Errorf("the order of the needs changes the document:\n%s\n%s", got, again)
	}
	const golden = "testdata/permissions-policy.json"
	if *updatePolicy {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update-policy to write it)", err)
	}
	if got != string(want) {
		t.Errorf("policy differs from %s (-update-policy to accept):\n%s", golden, got)
	}
}

// TestPolicyAllowsEveryNeed evaluates the document with kaji's IAM evaluator: it allows every
// need on the resource AWS will name (a secret's ARN with its real suffix), and nothing that
// was not asked for.
func TestPolicyAllowsEveryNeed(t *testing.T) {
	for _, c := range loadPermissionCases(t) {
		t.Run(c.Name, func(t *testing.T) {
			text, err := Policy(c.Want).JSON()
			if err != nil {
				t.Fatal(err)
			}
			p, err := iampolicy.Parse([]byte(text))
			if err != nil {
				t.Fatalf("the document does not parse as an IAM policy: %v\n%s", err, text)
			}
			named := iampolicy.Named{Name: "kaji-secrets", Policy: p}
			decide := func(action, resource string) iampolicy.Decision {
				req := iampolicy.Request{
					Principal: iampolicy.Principal{Type: iampolicy.PrincipalUser, ARN: "arn:aws:iam::111122223333:user/alice", Account: "111122223333"},
					Action:    action, Resource: resource, Context: iampolicy.Context{Complete: true},
				}
				return iampolicy.EvaluateIdentity(req, named).Decision
			}
			for _, n := range c.Want {
				real := strings.Replace(n.Resource, "-??????", "-Q1w2E3", 1)
				if d := decide(n.Action, real); d != iampolicy.Allow {
					t.Errorf("%s on %s: %s, want allow\n%s", n.Action, real, d, text)
				}
				if d := decide(n.Action, n.Resource+"-other"); d == iampolicy.Allow && !strings.Contains(n.Resource, "*") {
					t.Errorf("%s on %s-other is allowed too: the document is broader than asked\n%s", n.Action, n.Resource, text)
				}
				if d := decide("ssm:PutParameter", real); d == iampolicy.Allow {
					t.Errorf("ssm:PutParameter on %s is allowed\n%s", real, text)
				}
			}
		})
	}
}

func TestKeyARN(t *testing.T) {
	cases := []struct {
		keyID, want string
		ok          bool
	}{
		{"1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", true},
		{"arn:aws:kms:us-east-1:444455556666:key/abcd", "arn:aws:kms:us-east-1:444455556666:key/abcd", true},
		{"alias/app", "", false},
		{"arn:aws:kms:eu-west-1:111122223333:alias/app", "arn:aws:kms:eu-west-1:111122223333:alias/app", false},
	}
	for _, c := range cases {
		got, ok := KeyARN("eu-west-1", "111122223333", c.keyID)
		if got != c.want || ok != c.ok {
			t.Errorf("KeyARN(%q) = %q, %v; want %q, %v", c.keyID, got, ok, c.want, c.ok)
		}
	}
}
