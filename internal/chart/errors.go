package chart

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
)

// UnknownRepositoryError is a repo/name chart whose repo is not declared in kaji.yaml.
type UnknownRepositoryError struct {
	// Name is the repository name as written.
	Name string
	// Suggestion is the closest declared name, or empty.
	Suggestion string
	// Declared are the declared repository names, sorted.
	Declared []string
}

func (e *UnknownRepositoryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown repository %q", e.Name)
	switch {
	case e.Suggestion != "":
		fmt.Fprintf(&b, " (did you mean %q?)", e.Suggestion)
	case len(e.Declared) == 0:
		b.WriteString(" (no repositories are declared; add it under repositories in kaji.yaml)")
	default:
		fmt.Fprintf(&b, " (declared: %s; add it under repositories in kaji.yaml)",
			strings.Join(firstN(e.Declared, 10), ", "))
	}
	return b.String()
}

// ChartNotFoundError is a chart name that a repository's index does not list.
type ChartNotFoundError struct {
	// Repository is the repository name from kaji.yaml.
	Repository string
	// URL is the repository URL, without credentials.
	URL string
	// Name is the chart name looked for.
	Name string
	// Similar are a few chart names of the index that look like Name.
	Similar []string
}

func (e *ChartNotFoundError) Error() string {
	msg := fmt.Sprintf("repository %s (%s) has no chart %q", e.Repository, e.URL, e.Name)
	if len(e.Similar) > 0 {
		msg += fmt.Sprintf(" (similar charts: %s)", strings.Join(e.Similar, ", "))
	}
	return msg
}

// NoMatchingVersionError is a version or constraint that no available version satisfies.
type NoMatchingVersionError struct {
	// Chart is the chart as written in kaji.yaml.
	Chart string
	// Constraint is the version or constraint asked for; empty means the newest stable one.
	Constraint string
	// Newest are the newest available versions, newest first (at most five).
	Newest []string
	// Local is set for a local chart whose Chart.yaml version does not match.
	Local bool
}

func (e *NoMatchingVersionError) Error() string {
	switch {
	case e.Local && len(e.Newest) > 0:
		return fmt.Sprintf("local chart %s has version %s, which does not match version %q "+
			"(change the version in kaji.yaml, or remove it for a local chart)", e.Chart, e.Newest[0], e.Constraint)
	case len(e.Newest) == 0:
		return fmt.Sprintf("%s has no versions", e.Chart)
	case e.Constraint == "":
		return fmt.Sprintf("%s has no stable version; newest: %s "+
			"(set version to one of them, or to a constraint such as \">=0.0.0-0\" to accept pre-releases)",
			e.Chart, strings.Join(e.Newest, ", "))
	default:
		return fmt.Sprintf("no version of %s matches %q; newest: %s (change the version in kaji.yaml)",
			e.Chart, e.Constraint, strings.Join(e.Newest, ", "))
	}
}

// FetchError is a download that failed: a network error or an HTTP status other than 200.
type FetchError struct {
	// URL is what was fetched, without credentials.
	URL string
	// StatusCode is the HTTP status code, or 0 for a network error.
	StatusCode int
	// Err is the underlying error, if any.
	Err error
	// Hint says what to do; empty means a hint chosen by StatusCode.
	Hint string
}

func (e *FetchError) Error() string {
	if rae, ok := asRegistryAuthError(e.Err); ok { // it says what to do
		return fmt.Sprintf("fetch %s: %v", e.URL, rae)
	}
	cause := fmt.Sprint(e.Err)
	if e.Err == nil {
		cause = fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	hint := e.Hint
	switch {
	case hint != "":
	case e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden:
		hint = "check the credentials for this repository or registry"
	case e.StatusCode == http.StatusNotFound:
		hint = "check the repository URL, the chart name and the version in kaji.yaml"
	case e.StatusCode != 0:
		hint = "try again later, or use offline mode to load from the cache"
	default:
		hint = "check the URL and the network, or use offline mode to load from the cache"
	}
	return fmt.Sprintf("fetch %s: %s (%s)", e.URL, cause, hint)
}

func (e *FetchError) Unwrap() error { return e.Err }

// NotCachedError is something that offline mode needs but the disk cache does not hold.
type NotCachedError struct {
	// What names the missing item, such as "chart bitnami/redis 1.2.3".
	What string
	// CacheDir is the cache directory searched.
	CacheDir string
}

func (e *NotCachedError) Error() string {
	return fmt.Sprintf("%s is not in the cache %s, and offline mode downloads nothing "+
		"(run once without offline mode to fill the cache)", e.What, e.CacheDir)
}

// DigestMismatchError is a downloaded chart whose digest differs from the one published for it.
type DigestMismatchError struct {
	// URL is where the chart was downloaded from, without credentials.
	URL string
	// Want is the published digest; Got is the digest of the downloaded bytes.
	Want, Got string
}

func (e *DigestMismatchError) Error() string {
	return fmt.Sprintf("chart %s has digest %s, but its index says %s "+
		"(the download was corrupted or the chart was republished; ask the repository owner)", e.URL, e.Got, e.Want)
}

// LocalChartError is a local chart path that does not exist or does not hold a valid chart.
type LocalChartError struct {
	// Path is the absolute path.
	Path string
	// Reason says what is wrong, such as "does not exist".
	Reason string
	// Err is the underlying error, if any.
	Err error
}

func (e *LocalChartError) Error() string {
	msg := fmt.Sprintf("local chart %s %s", e.Path, e.Reason)
	if e.Err != nil && !errors.Is(e.Err, fs.ErrNotExist) { // the reason says it already
		msg += ": " + e.Err.Error()
	}
	return msg + " (check the chart path in kaji.yaml)"
}

func (e *LocalChartError) Unwrap() error { return e.Err }

func firstN[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}
