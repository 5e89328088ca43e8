package awssim

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
)

// principalARN is a parsed IAM or STS principal ARN.
type principalARN struct {
	Account string
	// Kind is "user", "role", "assumed-role" or "root".
	Kind string
	// Path is the IAM path of users and roles ("/" when none).
	Path string
	Name string
	// Session is the session name of an assumed-role ARN.
	Session string
}

// parseIAMARN parses arn:aws:iam::ACCOUNT:user/PATH/NAME, ...:role/PATH/NAME, ...:root and
// arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION.
func parseIAMARN(s string) (principalARN, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[3] != "" {
		return principalARN{}, fmt.Errorf("%q is not an IAM principal ARN", s)
	}
	p := principalARN{Account: parts[4]}
	res := parts[5]
	switch {
	case parts[2] == "iam" && res == "root":
		p.Kind = "root"
		return p, nil
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		name, session, ok := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/")
		if !ok || name == "" || session == "" {
			return principalARN{}, fmt.Errorf("%q: want assumed-role/NAME/SESSION", s)
		}
		p.Kind, p.Path, p.Name, p.Session = "assumed-role", "/", name, session
		return p, nil
	case parts[2] == "iam":
		kind, rest, ok := strings.Cut(res, "/")
		if !ok || (kind != "user" && kind != "role") {
			return principalARN{}, fmt.Errorf("%q is not a user, role or root ARN", s)
		}
		i := strings.LastIndexByte(rest, '/')
		p.Kind, p.Path, p.Name = kind, "/"+rest[:i+1], rest[i+1:]
		if i < 0 {
			p.Path = "/"
		}
		if p.Name == "" {
			return principalARN{}, fmt.Errorf("%q has no name", s)
		}
		return p, nil
	}
	return principalARN{}, fmt.Errorf("%q is not an IAM principal ARN", s)
}

func userARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":user" + path + name
}

func roleARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":role" + path + name
}

func sessionARN(account, role, session string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session
}

func clusterARN(region, account, name string) string {
	return "arn:aws:eks:" + region + ":" + account + ":cluster/" + name
}

// CanonicalARN converts an STS identity ARN to the IAM ARN EKS matches mappings against, as
// aws-iam-authenticator does: an assumed-role session becomes its role's ARN, without the
// role's path (session ARNs do not carry it). Other ARNs are returned unchanged.
func CanonicalARN(arn string) (string, error) {
	p, err := parseIAMARN(arn)
	if err != nil {
		return "", err
	}
	if p.Kind == "assumed-role" {
		return roleARN(p.Account, "/", p.Name), nil
	}
	return arn, nil
}

// uniqueID makes an IAM-style unique id (AIDA..., AROA...) that is stable for a name.
func uniqueID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}
