package awsauth

import (
	"strings"
	"testing"
)

func TestParsePrincipalARN(t *testing.T) {
	cases := []struct {
		arn, kind, path, name, session, canonical, err string
	}{
		{arn: "arn:aws:iam::111122223333:user/alice", kind: "user", path: "/", name: "alice", canonical: "arn:aws:iam::111122223333:user/alice"},
		{arn: "arn:aws:iam::111122223333:user/contractors/bob", kind: "user", path: "/contractors/", name: "bob", canonical: "arn:aws:iam::111122223333:user/contractors/bob"},
		{arn: "arn:aws:iam::111122223333:role/platform/kaji-deployer", kind: "role", path: "/platform/", name: "kaji-deployer", canonical: "arn:aws:iam::111122223333:role/platform/kaji-deployer"},
		{arn: "arn:aws:sts::111122223333:assumed-role/kaji-deployer/alice@example.com", kind: "assumed-role", path: "/", name: "kaji-deployer",
			session: "alice@example.com", canonical: "arn:aws:iam::111122223333:role/kaji-deployer"},
		{arn: "arn:aws-cn:sts::111122223333:assumed-role/r/s", kind: "assumed-role", path: "/", name: "r", session: "s", canonical: "arn:aws-cn:iam::111122223333:role/r"},
		{arn: "arn:aws:iam::111122223333:root", kind: "root", canonical: "arn:aws:iam::111122223333:root"},
		{arn: "arn:aws:sts::111122223333:assumed-role/only-role", err: "want assumed-role/NAME/SESSION"},
		{arn: "arn:aws:iam::111122223333:group/admins", err: "not a user, role or root ARN"},
		{arn: "arn:aws:iam::111122223333:role/", err: "has no name"},
		{arn: "alice", err: "not an IAM principal ARN"},
	}
	for _, c := range cases {
		t.Run(c.arn, func(t *testing.T) {
			p, err := ParsePrincipalARN(c.arn)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != c.kind || p.Path != c.path || p.Name != c.name || p.Session != c.session || p.Account != "111122223333" {
				t.Errorf("parsed %+v", p)
			}
			if p.ARN() != c.arn {
				t.Errorf("ARN() = %s, want the input back", p.ARN())
			}
			if got, err := CanonicalARN(c.arn); err != nil || got != c.canonical {
				t.Errorf("CanonicalARN = %s, %v; want %s", got, err, c.canonical)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	a := AWSAuth{
		MapRoles: []RoleMapping{
			{RoleARN: "arn:aws:iam::111122223333:role/platform/kaji-deployer", Groups: []string{"g-path"}},
			{RoleARN: "arn:aws:iam::111122223333:role/Kaji-Deployer", Username: "kaji:{{SessionName}}", Groups: []string{"g"}},
		},
		MapUsers:    []UserMapping{{UserARN: "arn:aws:iam::111122223333:user/alice", Username: "alice"}},
		MapAccounts: []string{"444455556666"},
	}
	cases := []struct {
		canonical, account, key, arn string
		ok                           bool
	}{
		// EKS compares the canonical ARN ignoring case; the entry with the path never matches.
		{"arn:aws:iam::111122223333:role/kaji-deployer", "111122223333", "mapRoles", "arn:aws:iam::111122223333:role/Kaji-Deployer", true},
		{"arn:aws:iam::111122223333:user/alice", "111122223333", "mapUsers", "arn:aws:iam::111122223333:user/alice", true},
		{"arn:aws:iam::444455556666:user/ci", "444455556666", "mapAccounts", "444455556666", true},
		{"arn:aws:iam::111122223333:user/bob", "111122223333", "", "", false},
	}
	for _, c := range cases {
		m, ok := a.Lookup(c.canonical, c.account)
		if ok != c.ok || m.Key != c.key || m.ARN != c.arn {
			t.Errorf("Lookup(%s) = %+v, %v", c.canonical, m, ok)
		}
	}
}

func TestParseManifest(t *testing.T) {
	kubectl := `apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: |
    - rolearn: arn:aws:iam::111122223333:role/kaji-deployer
      username: kaji:{{SessionName}}
      groups: [kaji-deployers]
  mapAccounts: |
    - "444455556666"
`
	a, err := ParseManifest([]byte(kubectl))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.MapRoles) != 1 || a.MapRoles[0].Groups[0] != "kaji-deployers" || a.MapAccounts[0] != "444455556666" {
		t.Errorf("parsed %+v", a)
	}
	data := "mapUsers: |\n  - userarn: arn:aws:iam::111122223333:user/alice\n"
	if a, err := ParseManifest([]byte(data)); err != nil || len(a.MapUsers) != 1 {
		t.Errorf("data only: %+v, %v", a, err)
	}
	if _, err := ParseManifest([]byte("kind: Secret\ndata: {}\n")); err == nil || !strings.Contains(err.Error(), `want a ConfigMap, got kind "Secret"`) {
		t.Errorf("a Secret: %v", err)
	}
	if _, err := ParseManifest([]byte("data:\n  mapRoles: 'rolearn: [unclosed'\n")); err == nil {
		t.Error("malformed mapRoles was accepted")
	}
}

func TestDataRoundTrip(t *testing.T) {
	in := AWSAuth{MapRoles: []RoleMapping{{RoleARN: "arn:aws:iam::111122223333:role/r", Groups: []string{"a", "b"}}}}
	data, err := in.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := data["mapUsers"]; ok {
		t.Errorf("empty mapUsers written: %v", data)
	}
	out, err := Parse(data)
	if err != nil || len(out.MapRoles) != 1 || out.MapRoles[0].Groups[1] != "b" {
		t.Errorf("round trip = %+v, %v", out, err)
	}
}
