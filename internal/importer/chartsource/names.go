package chartsource

import (
	"net/url"
	"strings"
)

// redact returns raw without its password, or raw unchanged when it does not parse.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}

func joinComma(s []string) string { return strings.Join(s, ", ") }
