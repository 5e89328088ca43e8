package secrets

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"kaji.dev/kaji/internal/awspartition"
)

// The IAM actions that reading references and SOPS data keys needs.
const (
	// ActionGetParameters reads SSM parameters (GetParameters, 10 names a call).
	ActionGetParameters = "ssm:GetParameters"
	// ActionGetSecretValue reads a Secrets Manager secret; BatchGetSecretValue needs it too,
	// on every secret of the batch.
	ActionGetSecretValue = "secretsmanager:GetSecretValue"
	// ActionBatchGetSecretValue lets kaji read up to 20 secrets a call; without it, kaji reads
	// them one by one. It takes no resource but "*".
	ActionBatchGetSecretValue = "secretsmanager:BatchGetSecretValue"
	// ActionDecrypt decrypts with a customer managed KMS key: a SecureString parameter's, a
	// secret's, or a SOPS file's data key.
	ActionDecrypt = "kms:Decrypt"
)

// Scope is where references are read: the account of the identity that reads them, and the
// region of the references that name none (?region=).
type Scope struct {
	// Account is the 12-digit account id; empty stands for any account (*).
	Account string
	// Region is kaji's own AWS region; empty when none is set.
	Region string
}

// Need is one IAM permission: an action on a resource, and what needs it.
type Need struct {
	Action string `json:"action"`
	// Resource is an ARN, with wildcards where AWS makes part of it up (a secret's random
	// suffix).
	Resource string `json:"resource"`
	// For are what need it: references as written, or labels such as "SOPS file x.yaml";
	// sorted, each once.
	For []string `json:"for"`
}

// RefNeeds lists the permissions that reading refs needs in scope: ssm:GetParameters on each
// parameter and secretsmanager:GetSecretValue on each secret, merged (see MergeNeeds). Which
// KMS keys the parameters and secrets are encrypted with cannot be known from their names;
// add DecryptNeed for those that are customer managed. A reference that cannot be placed (no
// region anywhere) is left out and named in the error, which joins one error per reference;
// the needs of the others are returned all the same.
func RefNeeds(refs []Ref, scope Scope) ([]Need, error) {
	var needs []Need
	var errs []error
	for _, r := range refs {
		region := r.Region
		if region == "" {
			region = scope.Region
		}
		switch r.Backend {
		case SSM:
			if region == "" && !strings.HasPrefix(r.Name, "arn:") {
				errs = append(errs, fmt.Errorf("%s: no AWS region: add ?region=R to the reference or set kaji's region (AWS_REGION, or cluster.eks.region)", r.Raw))
				continue
			}
			needs = append(needs, Need{Action: ActionGetParameters, Resource: ParameterARN(region, scope.Account, r.Name), For: []string{r.Raw}})
		case SecretsManager:
			if region == "" && !strings.HasPrefix(r.Name, "arn:") {
				errs = append(errs, fmt.Errorf("%s: no AWS region: add ?region=R to the reference or set kaji's region (AWS_REGION, or cluster.eks.region)", r.Raw))
				continue
			}
			needs = append(needs, Need{Action: ActionGetSecretValue, Resource: SecretResource(region, scope.Account, r.Name), For: []string{r.Raw}})
		default:
			errs = append(errs, fmt.Errorf("%s: kaji reads only awsssm and awssecrets references", r.Raw))
		}
	}
	return MergeNeeds(needs), errors.Join(errs...)
}

// DecryptNeed is kms:Decrypt on a key, given by its ARN, for what uses it.
func DecryptNeed(keyARN string, forWhat ...string) Need {
	return Need{Action: ActionDecrypt, Resource: keyARN, For: forWhat}
}

// ParameterARN is the ARN of an SSM parameter: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME,
// with the leading slash of a path not doubled. A name that is already an ARN is returned as
// it is. An empty account stands for any (*).
func ParameterARN(region, account, name string) string {
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	return fmt.Sprintf("arn:%s:ssm:%s:%s:parameter/%s", awspartition.Of(region), region, orAny(account), strings.TrimPrefix(name, "/"))
}

// secretSuffix is the dash and six characters Secrets Manager appends to a secret's name in
// its ARN. AWS advises against names that end like it, so that the two can be told apart.
var secretSuffix = regexp.MustCompile(`-[A-Za-z0-9]{6}$`)

// SecretResource is the resource a policy names for a secret. A complete ARN is returned as
// it is. A name, or an ARN without the random suffix, gets -?????? in its place, since the
// suffix is only known once the secret exists and changes when it is made again.
func SecretResource(region, account, nameOrARN string) string {
	if rest, ok := strings.CutPrefix(nameOrARN, "arn:"); ok {
		parts := strings.SplitN(rest, ":", 6)
		if len(parts) == 6 && parts[4] == "secret" && !secretSuffix.MatchString(parts[5]) {
			return nameOrARN + "-??????"
		}
		return nameOrARN
	}
	return fmt.Sprintf("arn:%s:secretsmanager:%s:%s:secret:%s-??????", awspartition.Of(region), region, orAny(account), nameOrARN)
}

// KeyARN is the ARN of a KMS key given by id or ARN, in a region and account; ok is false
// for an alias, whose key the IAM policy must name by its own ARN.
func KeyARN(region, account, keyID string) (string, bool) {
	switch {
	case strings.HasPrefix(keyID, "arn:"):
		return keyID, !strings.Contains(keyID, ":alias/")
	case strings.HasPrefix(keyID, "alias/"):
		return "", false
	}
	return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", awspartition.Of(region), region, orAny(account), keyID), true
}

func orAny(account string) string {
	if account == "" {
		return "*"
	}
	return account
}

// MergeNeeds merges lists of needs into one need per action and resource, with what needs it
// united, sorted by action and then resource.
func MergeNeeds(lists ...[]Need) []Need {
	type key struct{ action, resource string }
	by := map[key]map[string]bool{}
	for _, list := range lists {
		for _, n := range list {
			k := key{n.Action, n.Resource}
			if by[k] == nil {
				by[k] = map[string]bool{}
			}
			for _, f := range n.For {
				by[k][f] = true
			}
		}
	}
	out := make([]Need, 0, len(by))
	for k, users := range by {
		out = append(out, Need{Action: k.action, Resource: k.resource, For: slices.Sorted(maps.Keys(users))})
	}
	slices.SortFunc(out, func(a, b Need) int {
		if c := strings.Compare(a.Action, b.Action); c != 0 {
			return c
		}
		return strings.Compare(a.Resource, b.Resource)
	})
	return out
}

// PolicyDocument is an IAM identity policy.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement is one Allow statement; Action and Resource are a string when there is one,
// else a list.
type PolicyStatement struct {
	Sid      string `json:"Sid"`
	Effect   string `json:"Effect"`
	Action   any    `json:"Action"`
	Resource any    `json:"Resource"`
}

// statementOrder is the order of the statements, one per service, and their Sids.
var statementOrder = []struct{ service, sid string }{
	{"ssm", "KajiReadsParameters"},
	{"secretsmanager", "KajiReadsSecrets"},
	{"kms", "KajiDecrypts"},
}

// Policy is the identity policy that allows needs: one statement per service (SSM, Secrets
// Manager, KMS, then any other in name order), each with its actions and its resources sorted,
// so that the same needs always give the same document.
func Policy(needs []Need) PolicyDocument {
	actions := map[string]map[string]bool{}
	resources := map[string]map[string]bool{}
	for _, n := range needs {
		svc, _, _ := strings.Cut(n.Action, ":")
		if actions[svc] == nil {
			actions[svc], resources[svc] = map[string]bool{}, map[string]bool{}
		}
		actions[svc][n.Action] = true
		resources[svc][n.Resource] = true
	}
	doc := PolicyDocument{Version: "2012-10-17", Statement: []PolicyStatement{}}
	add := func(svc, sid string) {
		if actions[svc] == nil {
			return
		}
		doc.Statement = append(doc.Statement, PolicyStatement{Sid: sid, Effect: "Allow",
			Action: oneOrMany(slices.Sorted(maps.Keys(actions[svc]))), Resource: oneOrMany(slices.Sorted(maps.Keys(resources[svc])))})
		delete(actions, svc)
	}
	for _, s := range statementOrder {
		add(s.service, s.sid)
	}
	for _, svc := range slices.Sorted(maps.Keys(actions)) {
		add(svc, "KajiUses"+sidWord(svc))
	}
	return doc
}

// JSON is the document indented as people write policies, ending in a newline.
func (d PolicyDocument) JSON() (string, error) {
	text, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode the policy document: %w", err)
	}
	return string(text) + "\n", nil
}

// sidWord makes a service name fit a Sid, which allows letters and digits only.
func sidWord(svc string) string {
	var b strings.Builder
	up := true
	for _, r := range svc {
		switch {
		case r >= 'a' && r <= 'z':
			if up {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

func oneOrMany(ss []string) any {
	if len(ss) == 1 {
		return ss[0]
	}
	return ss
}
