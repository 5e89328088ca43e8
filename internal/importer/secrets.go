package importer

import (
	"regexp"
	"sort"
	"strings"
)

// secretKey matches value keys whose string values are credentials. Matched on the key in
// lower case.
var secretKey = regexp.MustCompile(`(password|passwd|passphrase|token|secret|apikey|api_key|privatekey|private_key|accesskey|access_key|credential|clientsecret|dsn|connectionstring)|^key$|key$`)

// notSecretKey matches keys that name a secret rather than hold one, such as
// existingSecret: my-secret or passwordSecretName: db, and keys of settings about secrets.
var notSecretKey = regexp.MustCompile(`^existing|^create|^generate|^use|(name|names|ref|keyref|path|file|mountpath|enabled|create|annotations|labels|type|length|policy)$|secretkeyref|^keyname`)

// IsSecretKey says whether values under key look like credentials: password, token, secret,
// key and their kin, but not the names of Secrets (existingSecret, secretName) nor settings
// about them (createSecret, tokenPath).
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	return secretKey.MatchString(k) && !notSecretKey.MatchString(k)
}

// SplitSecrets moves the non-empty string values that look secret out of values. It returns
// the rest, the moved values at their paths, and each moved path (a.b[2].c), sorted. values
// itself is left unchanged.
func SplitSecrets(values map[string]any) (public, secret map[string]any, paths []string) {
	public, secret = map[string]any{}, map[string]any{}
	splitMap(values, "", public, secret, &paths)
	sort.Strings(paths)
	if len(secret) == 0 {
		secret = nil
	}
	return public, secret, paths
}

func splitMap(in map[string]any, prefix string, public, secret map[string]any, paths *[]string) {
	for k, v := range in {
		p := joinPath(prefix, k)
		if (IsSecretKey(k) && !empty(v) && !isPlaceholderValue(v)) || fromSecretStore(v) {
			// Everything under a key that looks secret is: a string, a number, a list, and
			// the children of a map such as secrets: or credentials:.
			secret[k] = v
			*paths = append(*paths, p)
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			pub, sec := map[string]any{}, map[string]any{}
			splitMap(x, p, pub, sec, paths)
			if len(pub) > 0 || len(sec) == 0 {
				public[k] = pub
			}
			if len(sec) > 0 {
				secret[k] = sec
			}
		case []any:
			// A list is kept whole: one that holds anything secret goes to the secret file.
			if holdsSecret(x) {
				secret[k] = v
				*paths = append(*paths, p)
				continue
			}
			public[k] = v
		default:
			public[k] = v
		}
	}
}

// holdsSecret says whether a value holds, at any depth, a value under a secret-looking key.
func holdsSecret(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if IsSecretKey(k) && !empty(e) && !isPlaceholderValue(e) || holdsSecret(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if holdsSecret(e) {
				return true
			}
		}
	}
	return false
}

// empty says whether a value carries nothing worth hiding: nil, "", a boolean (a setting
// such as password: true), or an empty map or list.
func empty(v any) bool {
	switch x := v.(type) {
	case nil, bool:
		return true
	case string:
		return x == ""
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func isPlaceholderValue(v any) bool {
	s, ok := v.(string)
	return ok && isPlaceholder(s)
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// isPlaceholder says whether s is a placeholder an import wrote for a person to replace
// (such as <cdk-import: Fn::GetAtt Role.Arn>): it stays in sight, not in a secret file.
func isPlaceholder(s string) bool {
	return strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") && strings.Contains(s, "-import: ")
}

// fromSecretStore says whether a value is a CloudFormation dynamic reference to Secrets
// Manager or to an SSM SecureString ({{resolve:secretsmanager:...}}, {{resolve:ssm-secure:...}}),
// as CDK's SecretValue writes them: whatever its key, it names a secret.
func fromSecretStore(v any) bool {
	s, ok := v.(string)
	return ok && (strings.Contains(s, "{{resolve:secretsmanager:") || strings.Contains(s, "{{resolve:ssm-secure:"))
}
