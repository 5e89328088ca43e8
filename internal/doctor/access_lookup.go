package doctor

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"kaji.dev/kaji/internal/eks/awsauth"
)

// entryLookup is what EKS holds for the identity kaji acts with.
type entryLookup struct {
	// Principal is the IAM ARN looked for; Canonical the ARN EKS maps.
	Principal, Canonical string
	// Problem says why the entries could not be read; empty when they were.
	Problem string
	// Entry is the identity's access entry; nil when there is none.
	Entry    *ekstypes.AccessEntry
	Policies []ekstypes.AssociatedAccessPolicy
	// Near are entries for principals that differ from the identity's in case only.
	Near []string
}

// accessEntry looks up, once, the access entry of the identity kaji acts with.
func (s *State) accessEntry(ctx context.Context) entryLookup {
	s.entryOnce.Do(func() { s.entry = lookupAccessEntry(ctx, s) })
	return s.entry
}

// entryPrincipal is the identity whose entry matters: the acting one, else the role kaji
// would assume, else the caller.
func entryPrincipal(s *State) (principal, canonical string) {
	switch {
	case s.Acting != nil:
		return s.Acting.IAMARN, s.Acting.Canonical
	case s.EKS != nil && s.EKS.RoleARN != "":
		p, err := awsauth.ParsePrincipalARN(s.EKS.RoleARN)
		if err == nil {
			return s.EKS.RoleARN, awsauth.RoleARN(p.Account, "/", p.Name)
		}
	case s.Base != nil:
		return s.Base.IAMARN, s.Base.Canonical
	}
	return "", ""
}

func lookupAccessEntry(ctx context.Context, s *State) entryLookup {
	var out entryLookup
	out.Principal, out.Canonical = entryPrincipal(s)
	if out.Principal == "" {
		out.Problem = "no AWS identity (see aws-identity)"
		return out
	}
	// Your own credentials are likelier than a deployment role's to read access entries.
	var askers []*Session
	for _, sess := range []*Session{s.Base, s.Acting} {
		if sess != nil && (len(askers) == 0 || askers[0] != sess) {
			askers = append(askers, sess)
		}
	}
	var lastErr error
	for _, sess := range askers {
		api := s.entries(sess.Config)
		principals, err := listAccessEntries(ctx, api, s.EKS.Name)
		if err != nil {
			lastErr = err
			continue
		}
		found := ""
		for _, p := range principals {
			switch {
			case p == out.Principal || canonicalOfEntry(p) == out.Canonical:
				found = p
			case strings.EqualFold(p, out.Principal) || strings.EqualFold(canonicalOfEntry(p), out.Canonical):
				out.Near = append(out.Near, p)
			}
		}
		if found == "" {
			return out
		}
		d, err := api.DescribeAccessEntry(ctx, &awseks.DescribeAccessEntryInput{ClusterName: aws.String(s.EKS.Name), PrincipalArn: aws.String(found)})
		if err != nil {
			out.Problem = "eks:DescribeAccessEntry: " + errorText(err)
			return out
		}
		out.Entry = d.AccessEntry
		out.Policies, err = listPolicies(ctx, api, s.EKS.Name, found)
		if err != nil {
			out.Problem = "eks:ListAssociatedAccessPolicies: " + errorText(err)
		}
		return out
	}
	out.Problem = "eks:ListAccessEntries: " + errorText(lastErr)
	return out
}

// canonicalOfEntry is the ARN an entry's principal maps: a role's without its path.
func canonicalOfEntry(principal string) string {
	p, err := awsauth.ParsePrincipalARN(principal)
	if err != nil || p.Kind != "role" {
		return principal
	}
	return awsauth.RoleARN(p.Account, "/", p.Name)
}

func listAccessEntries(ctx context.Context, api AccessEntryAPI, cluster string) ([]string, error) {
	var out []string
	in := &awseks.ListAccessEntriesInput{ClusterName: aws.String(cluster)}
	for {
		page, err := api.ListAccessEntries(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, page.AccessEntries...)
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

func listPolicies(ctx context.Context, api AccessEntryAPI, cluster, principal string) ([]ekstypes.AssociatedAccessPolicy, error) {
	var out []ekstypes.AssociatedAccessPolicy
	in := &awseks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String(cluster), PrincipalArn: aws.String(principal)}
	for {
		page, err := api.ListAssociatedAccessPolicies(ctx, in)
		if err != nil {
			return nil, err
		}
		out = append(out, page.AssociatedAccessPolicies...)
		if aws.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}
