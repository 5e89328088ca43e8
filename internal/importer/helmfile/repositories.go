package helmfile

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// repositoryName is kaji's rule for repository names.
var repositoryName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$`)

// readRepositories puts the helmfile's repositories into Found.Repositories. A repository kaji
// cannot read (helm-git, S3 and other plugin URLs) is left out with a note, and recorded in
// r.unreadable so that the charts that use it are noted too.
func (r *reader) readRepositories() {
	for _, n := range r.repositories {
		var name, raw string
		var oci bool
		var nameLine = n.Line
		var credentials, tls []string
		for _, p := range pairs(n) {
			switch p.key {
			case "name":
				name, _ = scalar(p.value)
				nameLine = p.keyN.Line
			case "url":
				raw, _ = scalar(p.value)
				raw = r.tpl.restore(raw)
			case "oci":
				b, err := r.boolField(p)
				if err != nil {
					r.addNote(p.keyN.Line, fmt.Sprintf("repository oci: %v; read as false", err), true)
				}
				oci = b != nil && *b
			case "username", "password":
				if !isEmpty(p.value) {
					credentials = append(credentials, p.key)
				}
			case "certFile", "keyFile", "caFile", "skipTLSVerify", "insecureSkipTLSVerify", "passCredentials",
				"verify", "keyring", "plainHttp", "registryConfig":
				if !isEmpty(p.value) {
					tls = append(tls, p.key)
				}
			case "managed":
			default:
				r.addNote(p.keyN.Line, fmt.Sprintf("repository: unknown helmfile key %s; not imported", p.key), false)
			}
		}
		if name == "" || raw == "" {
			r.addNote(n.Line, "a repository needs a name and a url; not imported", true)
			continue
		}
		if oci {
			raw = "oci://" + strings.TrimPrefix(raw, "oci://")
		}
		if reason := unreadableURL(raw); reason != "" {
			r.addNote(nameLine, fmt.Sprintf("repository %s has URL %s, %s: kaji reads https:// chart repositories and oci:// registries; "+
				"publish the charts to one of those, or keep them as local charts; not imported", name, raw, reason), true)
			r.unreadable[name] = true
			continue
		}
		if !repositoryName.MatchString(name) {
			r.addNote(nameLine, fmt.Sprintf("repository name %q is not a valid kaji repository name: use letters, digits, '-', '_' and '.', "+
				"starting and ending with a letter or digit; rename it here and in the charts that use it", name), true)
		}
		r.found.Repositories[name] = raw
		if len(credentials) > 0 {
			how := "kaji reads https repository credentials from the URL only (https://user:password@host/path): keep such a URL out of git"
			if oci {
				host := strings.SplitN(strings.TrimPrefix(raw, "oci://"), "/", 2)[0]
				how = fmt.Sprintf("kaji reads registry credentials from helm registry login and Docker: log in to %s with one of them", host)
			}
			r.addNote(nameLine, fmt.Sprintf("repository %s sets %s: %s", name, strings.Join(credentials, " and "), how), false)
		}
		if len(tls) > 0 {
			r.addNote(nameLine, fmt.Sprintf("repository %s sets %s: kaji has no per-repository TLS, verification or plain-HTTP settings; not imported",
				name, strings.Join(tls, ", ")), false)
		}
	}
}

// unreadableURL says why kaji cannot read a repository URL, or returns "".
func unreadableURL(raw string) string {
	if hasTemplate(raw) || strings.Contains(raw, "{{") {
		return "" // its template note says what to do
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "which is not a URL"
	case u.Scheme == "":
		return "which has no scheme"
	case u.Scheme != "https" && u.Scheme != "http" && u.Scheme != "oci":
		return "a " + u.Scheme + " URL that needs a Helm plugin"
	}
	return ""
}
