package awssim

import (
	"crypto/sha256"
	"encoding/base32"

	"kaji.dev/kaji/internal/eks/awsauth"
)

// principalARN is a parsed IAM or STS principal ARN.
type principalARN = awsauth.Principal

// parseIAMARN parses arn:aws:iam::ACCOUNT:user/PATH/NAME, ...:role/PATH/NAME, ...:root and
// arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION.
func parseIAMARN(s string) (principalARN, error) { return awsauth.ParsePrincipalARN(s) }

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

// CanonicalARN converts an STS identity ARN to the IAM ARN EKS matches mappings against
// (see awsauth.CanonicalARN).
func CanonicalARN(arn string) (string, error) { return awsauth.CanonicalARN(arn) }

// uniqueID makes an IAM-style unique id (AIDA..., AROA...) that is stable for a name.
func uniqueID(prefix, seed string) string {
	sum := sha256.Sum256([]byte(seed))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:17]
}
