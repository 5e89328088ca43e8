package chart

import (
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

const ociPrefix = "oci://"

// reference is a parsed chart string.
type reference struct {
	kind Source
	// path is the absolute path of a local chart.
	path string
	// repoName and repoURL name the https repository of a repo/name chart; name is the chart.
	repoName, repoURL, name string
	// oci is the registry reference of an OCI chart.
	oci ociRef
}

// ociRef is an OCI chart reference: host[:port]/path/name, with an optional tag or digest.
type ociRef struct {
	repository string
	tag        string
	digest     string
}

func (r ociRef) String() string {
	s := ociPrefix + r.repository
	if r.tag != "" {
		s += ":" + r.tag
	}
	if r.digest != "" {
		s += "@" + r.digest
	}
	return s
}

// parseRef classifies a chart string; see the package documentation for the forms.
func (l *Loader) parseRef(ref string) (reference, error) {
	switch {
	case ref == "":
		return reference{}, fmt.Errorf("chart is empty (set it to a local path, repo/name or an oci:// reference)")
	case strings.HasPrefix(ref, ociPrefix):
		o, err := parseOCI(ref)
		return reference{kind: SourceOCI, oci: o}, err
	case isLocalPath(ref):
		abs, err := filepath.Abs(ref)
		if err != nil {
			return reference{}, fmt.Errorf("make %s absolute: %w", ref, err)
		}
		return reference{kind: SourceLocal, path: abs}, nil
	}
	repoName, name, ok := strings.Cut(ref, "/")
	if !ok || repoName == "" || name == "" {
		return reference{}, fmt.Errorf("chart %q is not a local path, repo/name or an oci:// reference "+
			"(write a local path as ./%s, or prefix the chart with a repository from kaji.yaml)", ref, ref)
	}
	base, ok := l.repos[repoName]
	if !ok {
		declared := slices.Sorted(maps.Keys(l.repos))
		e := &UnknownRepositoryError{Name: repoName, Declared: declared}
		if s := closest(repoName, declared, 1); len(s) > 0 {
			e.Suggestion = s[0]
		}
		return reference{}, e
	}
	if strings.HasPrefix(base, ociPrefix) {
		o, err := parseOCI(strings.TrimSuffix(base, "/") + "/" + name)
		return reference{kind: SourceOCI, oci: o}, err
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return reference{}, fmt.Errorf("repository %s has URL %q, which is neither an https:// chart repository "+
			"nor an oci:// registry (fix it in kaji.yaml)", repoName, redactURL(base))
	}
	if strings.Contains(name, "/") {
		return reference{}, fmt.Errorf("chart name %q in repository %s contains a slash "+
			"(a chart repository holds flat names; write %s/<chart>)", name, repoName, repoName)
	}
	return reference{kind: SourceRepo, repoName: repoName, repoURL: base, name: name}, nil
}

// isLocalPath reports whether a chart string is a filesystem path rather than repo/name.
func isLocalPath(ref string) bool {
	if filepath.IsAbs(ref) || ref == "." || ref == ".." {
		return true
	}
	for _, p := range []string{"./", "../", "." + string(filepath.Separator), ".." + string(filepath.Separator)} {
		if strings.HasPrefix(ref, p) {
			return true
		}
	}
	return false
}

// parseOCI parses oci://host[:port]/path/name[:tag][@digest].
func parseOCI(ref string) (ociRef, error) {
	rest := strings.TrimPrefix(ref, ociPrefix)
	var o ociRef
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		o.digest = rest[i+1:]
		rest = rest[:i]
		if !strings.HasPrefix(o.digest, "sha256:") || len(o.digest) != len("sha256:")+64 {
			return ociRef{}, fmt.Errorf("OCI reference %s has digest %q; only sha256:<64 hex digits> is supported", ref, o.digest)
		}
	}
	slash := strings.LastIndex(rest, "/")
	if slash <= 0 || slash == len(rest)-1 {
		return ociRef{}, fmt.Errorf("OCI reference %s has no chart name (write oci://host/path/name)", ref)
	}
	if i := strings.LastIndex(rest[slash:], ":"); i >= 0 {
		o.tag = rest[slash+i+1:]
		rest = rest[:slash+i]
		if o.tag == "" {
			return ociRef{}, fmt.Errorf("OCI reference %s has an empty tag (remove the colon or add a version)", ref)
		}
	}
	if strings.ContainsAny(rest, " \t\\?#") {
		return ociRef{}, fmt.Errorf("OCI reference %s is not a valid reference (write oci://host/path/name)", ref)
	}
	o.repository = rest
	return o, nil
}

// redactURL returns raw without its password, or raw unchanged when it does not parse.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
