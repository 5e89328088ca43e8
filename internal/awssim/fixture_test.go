package awssim

import (
	"strings"
	"testing"
)

func TestLoadShippedFixture(t *testing.T) {
	f, err := LoadFixture("testdata/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Accounts) != 2 || len(f.Clusters) != 2 {
		t.Fatalf("accounts %d clusters %d", len(f.Accounts), len(f.Clusters))
	}
	deployer := f.Accounts[0].Roles[0]
	if deployer.Path != "/platform/" || deployer.MaxSessionDuration != 3600 || deployer.TrustPolicy.Parsed == nil {
		t.Errorf("deployer = %+v", deployer)
	}
	// A policy written as a JSON string parses too.
	if p := f.Accounts[0].Users[2].Policies[0].Document.Parsed; p == nil || len(p.Statements) != 1 {
		t.Errorf("carol's policy = %+v", p)
	}
	if f.Accounts[0].Users[0].Path != "/" || f.Clusters[1].AuthenticationMode != ModeConfigMap || f.Clusters[0].AccessEntries[0].Type != "STANDARD" {
		t.Error("defaults not applied")
	}
}

func TestParseFixtureErrors(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown field", "accounts: []\nclustres: []", `unknown field "clustres"`},
		{"short account id", "accounts: [{id: \"11112222333\"}]", "want 12 digits"},
		{"bad trust policy", `accounts: [{id: "111122223333", roles: [{name: r, trustPolicy: {Statement: {Effect: Maybe, Action: "*"}}}]}]`, "want Allow or Deny"},
		{"missing trust policy", `accounts: [{id: "111122223333", roles: [{name: r}]}]`, "trustPolicy is required"},
		{"bad path", `accounts: [{id: "111122223333", users: [{name: u, path: team/}]}]`, "must start and end with /"},
		{"duplicate key", `accounts: [{id: "111122223333", users: [{name: a, accessKeys: [{id: K, secret: s}]}, {name: b, accessKeys: [{id: K, secret: s}]}]}]`, "used twice"},
		{"unknown account", `accounts: []` + "\nclusters: [{name: c, region: r, account: \"999999999999\"}]", "not in accounts"},
		{"bad mode", `accounts: [{id: "111122223333"}]` + "\nclusters: [{name: c, region: r, account: \"111122223333\", authenticationMode: IAM}]", "authenticationMode"},
		{"bad scope", `accounts: [{id: "111122223333"}]` + "\nclusters: [{name: c, region: r, account: \"111122223333\", accessEntries: [{principalArn: \"arn:aws:iam::111122223333:user/u\", accessPolicies: [{policyArn: \"arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy\", accessScope: {type: account}}]}]}]", "accessScope.type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFixture([]byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestStartCopiesFixture(t *testing.T) {
	f, err := LoadFixture("testdata/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sim, err := Start(f)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	if err := sim.UpdateCluster("prod", func(c *ClusterConfig) { c.AuthenticationMode = ModeAPI }); err != nil {
		t.Fatal(err)
	}
	if f.Clusters[0].AuthenticationMode != ModeAPIAndConfigMap {
		t.Error("UpdateCluster changed the caller's fixture")
	}
	if err := sim.UpdateCluster("nope", func(*ClusterConfig) {}); err == nil {
		t.Error("want an error for an unknown cluster")
	}
}
