package awsauth

import (
	"reflect"
	"testing"

	"sigs.k8s.io/yaml"
)

// FuzzParse reads arbitrary aws-auth ConfigMaps. Whatever the input: what parses writes back
// as ConfigMap data that parses to the same mappings, and writing that again gives the same
// data; a lookup finds only what the mappings hold; and a whole manifest around the data
// parses to the same mappings as the data alone.
func FuzzParse(f *testing.F) {
	f.Add("- rolearn: arn:aws:iam::111122223333:role/kaji-deployer\n  username: kaji:{{SessionName}}\n  groups: [kaji-deployers]\n",
		"- userarn: arn:aws:iam::111122223333:user/alice\n  groups:\n  - system:masters\n",
		"- \"444455556666\"\n", "arn:aws:iam::111122223333:role/kaji-deployer")
	f.Add("- rolearn: arn:aws:iam::1:role/a/b\n- rolearn: arn:aws:iam::1:role/a/b\n  username: x\n", "", "[1, 2]", "1")
	f.Add("rolearn: [unclosed", "{}", "~", "")
	f.Fuzz(func(t *testing.T, roles, users, accounts, arn string) {
		in := map[string]string{"mapRoles": roles, "mapUsers": users, "mapAccounts": accounts}
		a, err := Parse(in)
		if err != nil {
			return
		}
		data, err := a.Data()
		if err != nil {
			t.Fatalf("parsed mappings do not encode: %v", err)
		}
		back, err := Parse(data)
		if err != nil {
			t.Fatalf("written data does not parse: %v\n%q", err, data)
		}
		if !reflect.DeepEqual(normal(a), normal(back)) {
			t.Fatalf("round trip changed the mappings:\n%+v\n%+v", a, back)
		}
		if again, err := back.Data(); err != nil || !reflect.DeepEqual(again, data) {
			t.Fatalf("written twice, the data differs: %q, %v; want %q", again, err, data)
		}
		if m, ok := a.Lookup(arn, arn); ok && m.ARN != arn {
			found := false
			for _, r := range a.MapRoles {
				found = found || r.RoleARN == m.ARN
			}
			for _, u := range a.MapUsers {
				found = found || u.UserARN == m.ARN
			}
			if !found {
				t.Errorf("Lookup(%q) = %+v, which no mapping holds", arn, m)
			}
		}
		manifest, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": in})
		if err != nil {
			return
		}
		if m, err := ParseManifest(manifest); err != nil || !reflect.DeepEqual(normal(m), normal(a)) {
			t.Errorf("the manifest parses to %+v, %v; want %+v", m, err, a)
		}
	})
}

// normal makes empty and absent lists alike, as Data writes neither.
func normal(a AWSAuth) AWSAuth {
	if len(a.MapRoles) == 0 {
		a.MapRoles = nil
	}
	if len(a.MapUsers) == 0 {
		a.MapUsers = nil
	}
	if len(a.MapAccounts) == 0 {
		a.MapAccounts = nil
	}
	for i := range a.MapRoles {
		if len(a.MapRoles[i].Groups) == 0 {
			a.MapRoles[i].Groups = nil
		}
	}
	for i := range a.MapUsers {
		if len(a.MapUsers[i].Groups) == 0 {
			a.MapUsers[i].Groups = nil
		}
	}
	return a
}
