// Package awsauth holds the rules by which EKS maps an AWS identity through the aws-auth
// ConfigMap of kube-system: its format (mapRoles, mapUsers, mapAccounts), the principal ARNs
// it names, and the canonical ARN, as aws-iam-authenticator computes it, that entries are
// compared with. kaji doctor uses them to explain a mapping that does not match; the
// simulator in internal/awssim uses them to play EKS.
package awsauth

import (
	"fmt"
	"strings"
)

// Principal is a parsed IAM or STS principal ARN.
type Principal struct {
	// Partition is aws, aws-cn or aws-us-gov.
	Partition string
	Account   string
	// Kind is "user", "role", "assumed-role" or "root".
	Kind string
	// Path is the IAM path of users and roles ("/" when none; "/" for assumed roles, whose
	// ARNs do not carry it).
	Path string
	Name string
	// Session is the session name of an assumed-role ARN.
	Session string
}

// ParsePrincipalARN parses arn:aws:iam::ACCOUNT:user/PATH/NAME, ...:role/PATH/NAME, ...:root
// and arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION.
func ParsePrincipalARN(s string) (Principal, error) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[3] != "" {
		return Principal{}, fmt.Errorf("%q is not an IAM principal ARN", s)
	}
	p := Principal{Partition: parts[1], Account: parts[4]}
	res := parts[5]
	switch {
	case parts[2] == "iam" && res == "root":
		p.Kind = "root"
		return p, nil
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		name, session, ok := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/")
		if !ok || name == "" || session == "" {
			return Principal{}, fmt.Errorf("%q: want assumed-role/NAME/SESSION", s)
		}
		p.Kind, p.Path, p.Name, p.Session = "assumed-role", "/", name, session
		return p, nil
	case parts[2] == "iam":
		kind, rest, ok := strings.Cut(res, "/")
		if !ok || (kind != "user" && kind != "role") {
			return Principal{}, fmt.Errorf("%q is not a user, role or root ARN", s)
		}
		i := strings.LastIndexByte(rest, '/')
		p.Kind, p.Path, p.Name = kind, "/"+rest[:i+1], rest[i+1:]
		if i < 0 {
			p.Path = "/"
		}
		if p.Name == "" {
			return Principal{}, fmt.Errorf("%q has no name", s)
		}
		return p, nil
	}
	return Principal{}, fmt.Errorf("%q is not an IAM principal ARN", s)
}

// UserARN is arn:aws:iam::ACCOUNT:user/PATH/NAME; path is "/" or "/a/b/".
func UserARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":user" + path + name
}

// RoleARN is arn:aws:iam::ACCOUNT:role/PATH/NAME; path is "/" or "/a/b/".
func RoleARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":role" + path + name
}

// SessionARN is arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
func SessionARN(account, role, session string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session
}

// ARN writes p back as an ARN.
func (p Principal) ARN() string {
	part := p.Partition
	if part == "" {
		part = "aws"
	}
	switch p.Kind {
	case "root":
		return "arn:" + part + ":iam::" + p.Account + ":root"
	case "assumed-role":
		return "arn:" + part + ":sts::" + p.Account + ":assumed-role/" + p.Name + "/" + p.Session
	}
	return "arn:" + part + ":iam::" + p.Account + ":" + p.Kind + p.Path + p.Name
}

// CanonicalARN converts an STS identity ARN to the IAM ARN EKS matches mappings against, as
// aws-iam-authenticator does: an assumed-role session becomes its role's ARN, without the
// role's path (session ARNs do not carry it). Other ARNs are returned unchanged.
func CanonicalARN(arn string) (string, error) {
	p, err := ParsePrincipalARN(arn)
	if err != nil {
		return "", err
	}
	if p.Kind == "assumed-role" {
		p.Kind, p.Session = "role", ""
		return p.ARN(), nil
	}
	return arn, nil
}
