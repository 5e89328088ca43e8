package awssim

import (
	"os"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestMapIdentity(t *testing.T) {
	var file struct {
		Identities map[string]struct {
			ARN, Account, UserID, SessionName, AccessKeyID string
		} `json:"identities"`
		Entries []AccessEntryConfig `json:"entries"`
		Cases   []struct {
			Name     string   `json:"name"`
			Identity string   `json:"identity"`
			Mode     string   `json:"mode"`
			Entries  string   `json:"entries"` // "none" drops the shared entries
			AWSAuth  *AWSAuth `json:"awsAuth"`
			Want     struct {
				Authenticated bool     `json:"authenticated"`
				Username      string   `json:"username"`
				Groups        []string `json:"groups"`
				Source        string   `json:"source"`
				Reason        string   `json:"reason"`
			} `json:"want"`
		} `json:"cases"`
	}
	data, err := os.ReadFile("testdata/mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		t.Fatal(err)
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			raw, ok := file.Identities[c.Identity]
			if !ok {
				t.Fatalf("no identity %q", c.Identity)
			}
			canonical, err := CanonicalARN(raw.ARN)
			if err != nil {
				t.Fatal(err)
			}
			in := MapInput{
				Identity:      Identity{ARN: raw.ARN, CanonicalARN: canonical, Account: raw.Account, UserID: raw.UserID, SessionName: raw.SessionName, AccessKeyID: raw.AccessKeyID},
				Mode:          c.Mode,
				AWSAuth:       c.AWSAuth,
				AccessEntries: file.Entries,
				PolicyGroups:  DefaultAccessPolicyGroups(),
			}
			if c.Entries == "none" {
				in.AccessEntries = nil
			}
			got := MapIdentity(in)
			w := c.Want
			if got.Authenticated != w.Authenticated {
				t.Fatalf("authenticated = %v (%+v), want %v", got.Authenticated, got, w.Authenticated)
			}
			if w.Username != "" && got.Username != w.Username {
				t.Errorf("username = %q, want %q", got.Username, w.Username)
			}
			if w.Groups != nil && !slices.Equal(got.Groups, w.Groups) {
				t.Errorf("groups = %q, want %q", got.Groups, w.Groups)
			}
			if !strings.HasPrefix(got.Source, w.Source) {
				t.Errorf("source = %q, want %q...", got.Source, w.Source)
			}
			if !strings.Contains(got.Reason, w.Reason) {
				t.Errorf("reason = %q, want it to contain %q", got.Reason, w.Reason)
			}
			if got.Authenticated && got.UID != "aws-iam-authenticator:"+raw.Account+":"+raw.UserID {
				t.Errorf("uid = %q", got.UID)
			}
		})
	}
}

func TestCanonicalARN(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:sts::111122223333:assumed-role/kaji-deployer/s": "arn:aws:iam::111122223333:role/kaji-deployer",
		"arn:aws:iam::111122223333:user/contractors/bob":         "arn:aws:iam::111122223333:user/contractors/bob",
		"arn:aws:iam::111122223333:role/platform/kaji-deployer":  "arn:aws:iam::111122223333:role/platform/kaji-deployer",
	} {
		if got, err := CanonicalARN(in); err != nil || got != want {
			t.Errorf("CanonicalARN(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := CanonicalARN("arn:aws:s3:::bucket"); err == nil {
		t.Error("an S3 ARN should not canonicalize")
	}
}

func TestAWSAuthRoundTrip(t *testing.T) {
	a := AWSAuth{MapRoles: []RoleMapping{{RoleARN: "arn:aws:iam::1:role/r", Username: "u:{{SessionName}}", Groups: []string{"system:masters"}}}}
	data, err := a.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := data["mapUsers"]; ok {
		t.Errorf("empty mapUsers written: %v", data)
	}
	back, err := ParseAWSAuth(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.MapRoles) != 1 || back.MapRoles[0].Username != "u:{{SessionName}}" {
		t.Errorf("round trip = %+v", back)
	}
	if _, err := ParseAWSAuth(map[string]string{"mapRoles": "rolearn: [unterminated"}); err == nil {
		t.Error("want an error for broken mapRoles YAML")
	}
}
