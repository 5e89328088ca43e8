package ecr

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestParseHost(t *testing.T) {
	tests := []struct {
		host string
		want Registry
		ok   bool
	}{
		{"111122223333.dkr.ecr.eu-west-1.amazonaws.com", Registry{Host: "111122223333.dkr.ecr.eu-west-1.amazonaws.com", Account: "111122223333", Region: "eu-west-1"}, true},
		{"111122223333.dkr.ecr.eu-west-1.amazonaws.com:443", Registry{Host: "111122223333.dkr.ecr.eu-west-1.amazonaws.com", Account: "111122223333", Region: "eu-west-1"}, true},
		{"111122223333.DKR.ECR.EU-WEST-1.AMAZONAWS.COM", Registry{Host: "111122223333.dkr.ecr.eu-west-1.amazonaws.com", Account: "111122223333", Region: "eu-west-1"}, true},
		{"111122223333.dkr.ecr-fips.us-gov-west-1.amazonaws.com", Registry{Host: "111122223333.dkr.ecr-fips.us-gov-west-1.amazonaws.com", Account: "111122223333", Region: "us-gov-west-1", FIPS: true}, true},
		{"111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn", Registry{Host: "111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn", Account: "111122223333", Region: "cn-north-1"}, true},
		{"111122223333.dkr-ecr.eu-west-1.on.aws", Registry{Host: "111122223333.dkr-ecr.eu-west-1.on.aws", Account: "111122223333", Region: "eu-west-1"}, true},
		{"111122223333.dkr-ecr-fips.us-east-1.on.aws", Registry{Host: "111122223333.dkr-ecr-fips.us-east-1.on.aws", Account: "111122223333", Region: "us-east-1", FIPS: true}, true},
		{"public.ecr.aws", Registry{}, false},
		{"ghcr.io", Registry{}, false},
		{"11112222333.dkr.ecr.eu-west-1.amazonaws.com", Registry{}, false},  // 11 digits
		{"11112222333a.dkr.ecr.eu-west-1.amazonaws.com", Registry{}, false}, // not digits
		{"111122223333.dkr.ecr.eu-west-1.amazonaws.com.evil.example", Registry{}, false},
		{"111122223333.dkr.ecr.eu-west-1.example.com", Registry{}, false},
		{"111122223333.api.ecr.eu-west-1.amazonaws.com", Registry{}, false},
		{"111122223333.dkr.ecr..amazonaws.com", Registry{}, false},
		{"111122223333.dkr.ecr.eu_west.amazonaws.com", Registry{}, false},
		{"127.0.0.1:5000", Registry{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseHost(tt.host)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseHost(%q) = %+v, %v; want %+v, %v", tt.host, got, ok, tt.want, tt.ok)
		}
	}
	for host, want := range map[string]bool{"public.ecr.aws": true, "PUBLIC.ECR.AWS:443": true, "public.ecr.aws.example": false, "ecr.aws": false} {
		if IsPublic(host) != want {
			t.Errorf("IsPublic(%q) = %v, want %v", host, !want, want)
		}
	}
}

func TestRepositoryARN(t *testing.T) {
	for host, want := range map[string]string{
		"111122223333.dkr.ecr.eu-west-1.amazonaws.com":          "arn:aws:ecr:eu-west-1:111122223333:repository/charts/alpha",
		"111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn":      "arn:aws-cn:ecr:cn-north-1:111122223333:repository/charts/alpha",
		"111122223333.dkr.ecr-fips.us-gov-east-1.amazonaws.com": "arn:aws-us-gov:ecr:us-gov-east-1:111122223333:repository/charts/alpha",
	} {
		r, ok := ParseHost(host)
		if got := r.RepositoryARN("charts/alpha"); !ok || got != want {
			t.Errorf("%s: RepositoryARN = %s, want %s", host, got, want)
		}
	}
}

func TestDecodeToken(t *testing.T) {
	const password = "eyJwYXlsb2FkIjoic2VjcmV0LXBhc3N3b3JkIn0=:with:colons"
	user, pass, err := decodeToken(base64.StdEncoding.EncodeToString([]byte("AWS:" + password)))
	if err != nil || user != "AWS" || pass != password {
		t.Fatalf("decodeToken = %q, %d bytes, %v; want AWS and the password", user, len(pass), err)
	}
	for _, bad := range []string{
		"not base64 at all, AWS:" + password,
		base64.StdEncoding.EncodeToString([]byte("AWS" + password[:20])), // no colon
		base64.StdEncoding.EncodeToString([]byte("AWS:")),
		base64.StdEncoding.EncodeToString([]byte(":" + password)),
	} {
		_, _, err := decodeToken(bad)
		if err == nil {
			t.Errorf("decodeToken(%q) succeeded", bad)
			continue
		}
		if strings.Contains(err.Error(), password[:20]) || strings.Contains(err.Error(), bad) {
			t.Errorf("the error quotes the token: %v", err)
		}
	}
}
