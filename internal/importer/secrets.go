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
		case string:
			if x != "" && IsSecretKey(k) && !isPlaceholder(x) {
				secret[k] = x
				*paths = append(*paths, p)
				continue
			}
			public[k] = v
		case []any:
			if IsSecretKey(k) && allStrings(x) && len(x) > 0 {
				secret[k] = x
				*paths = append(*paths, p)
				continue
			}
			public[k] = v
		default:
			public[k] = v
		}
	}
}

func allStrings(xs []any) bool {
	for _, x := range xs {
		if s, ok := x.(string); !ok || s == "" {
			return false
		}
	}
	return true
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
