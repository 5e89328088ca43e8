// Package ecr gives kaji's chart loader the credentials of Amazon ECR registries, so that
// oci:// charts on ECR load without `docker login` or `helm registry login`.
//
// A private registry (<account>.dkr.ecr.<region>.amazonaws.com, and its FIPS, dual-stack
// and other-partition forms) gets a token from ecr:GetAuthorizationToken, asked with kaji's
// AWS credentials the first time the registry asks for credentials in a run, and kept in
// memory for that run only: no Docker configuration or credentials file is written or read
// for it. Amazon ECR Public (public.ecr.aws) is pulled anonymously. Auth implements
// chart.RegistryAuth.
package ecr

import (
	"net"
	"strings"

	"kaji.dev/kaji/internal/awspartition"
)

// PublicHost is the host of Amazon ECR Public, which serves public repositories to anyone.
const PublicHost = "public.ecr.aws"

// Registry is a private ECR registry, as its host names it.
type Registry struct {
	// Host is the host as written (lowercase, without a port).
	Host string
	// Account is the 12-digit account id of the registry.
	Account string
	// Region is the AWS region of the registry, such as eu-west-1.
	Region string
	// FIPS is set for a dkr.ecr-fips host, whose token comes from the FIPS endpoint.
	FIPS bool
}

// registryDomains are the DNS suffixes of ECR's registry endpoints, in every partition.
var registryDomains = []string{
	"amazonaws.com", "amazonaws.com.cn", "amazonaws.eu",
	"on.aws", "on.amazonwebservices.com.cn",
	"sc2s.sgov.gov", "c2s.ic.gov", "cloud.adc-e.uk", "csp.hci.ic.gov",
}

// ParseHost recognises the host (with or without a port) of a private ECR registry:
// ACCOUNT.dkr.ecr[-fips].REGION.DOMAIN, or ACCOUNT.dkr-ecr[-fips].REGION.on.aws (dual-stack).
func ParseHost(host string) (Registry, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	account, rest, ok := strings.Cut(host, ".")
	if !ok || !isAccountID(account) {
		return Registry{}, false
	}
	service, rest, ok := strings.Cut(rest, ".")
	if !ok {
		return Registry{}, false
	}
	r := Registry{Host: host, Account: account}
	switch service {
	case "dkr":
		service, rest, ok = strings.Cut(rest, ".")
		if !ok {
			return Registry{}, false
		}
	case "dkr-ecr", "dkr-ecr-fips": // dual-stack
		service = strings.TrimPrefix(service, "dkr-")
	default:
		return Registry{}, false
	}
	switch service {
	case "ecr":
	case "ecr-fips":
		r.FIPS = true
	default:
		return Registry{}, false
	}
	r.Region, rest, ok = strings.Cut(rest, ".")
	if !ok || !isRegion(r.Region) {
		return Registry{}, false
	}
	for _, d := range registryDomains {
		if rest == d {
			return r, true
		}
	}
	return Registry{}, false
}

// IsPublic reports whether host (with or without a port) is Amazon ECR Public.
func IsPublic(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.EqualFold(host, PublicHost)
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isRegion(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// RepositoryARN is the ARN of repository (the path after the host) in r.
func (r Registry) RepositoryARN(repository string) string {
	return "arn:" + awspartition.Of(r.Region) + ":ecr:" + r.Region + ":" + r.Account + ":repository/" + repository
}
