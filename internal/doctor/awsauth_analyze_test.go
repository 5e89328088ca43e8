package doctor

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/eks/awsauth"
)

func TestAnalyzeAWSAuth(t *testing.T) {
	var file struct {
		Cases []struct {
			Name      string          `json:"name"`
			Canonical string          `json:"canonical"`
			AWSAuth   awsauth.AWSAuth `json:"awsAuth"`
			Want      struct {
				Match       string   `json:"match"`
				CaseDiffers bool     `json:"caseDiffers"`
				Misses      []string `json:"misses"`
			} `json:"want"`
		} `json:"cases"`
	}
	data, err := os.ReadFile("testdata/awsauth-analysis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		t.Fatal(err)
	}
	for _, c := range file.Cases {
		t.Run(c.Name, func(t *testing.T) {
			p, err := awsauth.ParsePrincipalARN(c.Canonical)
			if err != nil {
				t.Fatal(err)
			}
			got := analyzeAWSAuth(c.AWSAuth, c.Canonical, p.Account)
			match := ""
			if got.Match != nil {
				match = got.Match.Key + " " + got.Match.ARN
			}
			if match != c.Want.Match || got.CaseDiffers != c.Want.CaseDiffers {
				t.Errorf("match %q (case differs %v), want %q (%v)", match, got.CaseDiffers, c.Want.Match, c.Want.CaseDiffers)
			}
			var misses []string
			for _, m := range got.Misses {
				misses = append(misses, fmt.Sprintf("%s[%d] %s", m.Key, m.Index, m.Reason))
			}
			if len(misses) != len(c.Want.Misses) {
				t.Fatalf("misses %q, want %q", misses, c.Want.Misses)
			}
			for i, w := range c.Want.Misses {
				if !strings.HasPrefix(misses[i], w) {
					t.Errorf("miss %q, want %q...", misses[i], w)
				}
			}
			// The corrected aws-auth maps the identity exactly, and keeps other entries.
			sess := &Session{Canonical: c.Canonical, IAMARN: c.Canonical}
			if p.Kind == "role" {
				sess.SessionName = "s"
			}
			fixed := got.corrected(c.AWSAuth, sess)
			again := analyzeAWSAuth(fixed, c.Canonical, p.Account)
			if again.Match == nil || again.CaseDiffers || len(again.Misses) > 0 {
				t.Errorf("corrected aws-auth %+v still does not map %s: %+v", fixed, c.Canonical, again)
			}
			if n, m := len(fixed.MapRoles)+len(fixed.MapUsers), len(c.AWSAuth.MapRoles)+len(c.AWSAuth.MapUsers); n < m || n > m+1 {
				t.Errorf("corrected aws-auth has %d entries, had %d", n, m)
			}
			if got.Match == nil && len(got.Misses) == 0 && !slices.ContainsFunc(fixed.MapRoles, func(r awsauth.RoleMapping) bool { return r.RoleARN == c.Canonical }) &&
				!slices.ContainsFunc(fixed.MapUsers, func(u awsauth.UserMapping) bool { return u.UserARN == c.Canonical }) {
				t.Errorf("no entry added for %s: %+v", c.Canonical, fixed)
			}
		})
	}
}
