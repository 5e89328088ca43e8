package chartsource

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/chart"
)

// Outcome is what one candidate repository said about a stored chart.
type Outcome string

const (
	// OutcomeMatched is a repository that holds the chart at the stored version with the
	// stored content.
	OutcomeMatched Outcome = "matched"
	// OutcomeContentDiffers is a repository whose chart of that name and version has other
	// content than the stored chart.
	OutcomeContentDiffers Outcome = "content differs"
	// OutcomeVersionMissing is a repository that holds the chart, but not at the stored version.
	OutcomeVersionMissing Outcome = "version missing"
	// OutcomeChartMissing is a repository that does not hold a chart of that name.
	OutcomeChartMissing Outcome = "chart missing"
	// OutcomeFetchError is a repository that could not be read: its index, its tags or the
	// chart could not be fetched or loaded.
	OutcomeFetchError Outcome = "fetch error"
)

// Attempt is the outcome of one candidate repository.
type Attempt struct {
	// Repository is the repository name; URL its URL, without credentials.
	Repository, URL string
	// Outcome says what the repository had.
	Outcome Outcome
	// File is the first file, in sorted order, whose content differs (OutcomeContentDiffers),
	// such as "templates/deployment.yaml" or "values.yaml".
	File string
	// Newest are the newest versions the repository has of the chart, newest first, at most
	// five (OutcomeVersionMissing).
	Newest []string
	// Err is why the repository could not be read (OutcomeFetchError).
	Err error
}

// String says the outcome in a line, such as "bitnami (https://charts.bitnami.com/bitnami):
// content differs: templates/x.yaml".
func (a Attempt) String() string {
	s := fmt.Sprintf("%s (%s): %s", a.Repository, a.URL, a.Outcome)
	switch a.Outcome {
	case OutcomeContentDiffers:
		s += ": " + a.File
	case OutcomeVersionMissing:
		if len(a.Newest) > 0 {
			s += fmt.Sprintf(" (newest: %s)", strings.Join(a.Newest, ", "))
		}
	case OutcomeFetchError:
		s += ": " + fmt.Sprint(a.Err)
	}
	return s
}

// Result is where a stored chart was found, and what each repository tried said.
type Result struct {
	// Chart is the chart as kaji.yaml writes it, repo/name (for an oci:// repository too,
	// which kaji resolves to <base>/<name>); empty when no repository matched.
	Chart string
	// Version is the exact stored version.
	Version string
	// Repository and URL are the matching repository (the URL without credentials, as in
	// Attempt); empty when none matched.
	Repository, URL string
	// Digest is the digest of the stored chart (see Digest).
	Digest string
	// Attempts are the outcomes of the repositories tried, in the order tried (by name). The
	// repositories after the match are not tried.
	Attempts []Attempt
}

// Matched reports whether a repository holds the stored chart.
func (r *Result) Matched() bool { return r.Chart != "" }

// FetchErrors returns the attempts whose repository could not be read: without a match, the
// chart might still be in one of them.
func (r *Result) FetchErrors() []Attempt {
	var out []Attempt
	for _, a := range r.Attempts {
		if a.Outcome == OutcomeFetchError {
			out = append(out, a)
		}
	}
	return out
}

// Match looks for the stored chart of a release in the candidate repositories (name to URL:
// an https:// chart repository with an index.yaml, or an oci:// registry base), tried in order
// of name, through loader and its cache. stored is the chart read back from the release and
// config the release's config (its user values), which decides how a chart with dependencies
// is stored (see StoredForm). In each repository Match looks for the chart's name at exactly
// the stored version and compares digests; it stops at the first match. A repository that
// cannot be read is an attempt with OutcomeFetchError and does not stop the others. The error
// is for a stored chart without a name or version, and for a cancelled ctx.
func Match(ctx context.Context, loader *chart.Loader, stored *chartv2.Chart, config map[string]any, repos map[string]string) (*Result, error) {
	if stored == nil || stored.Metadata == nil || stored.Metadata.Name == "" || stored.Metadata.Version == "" {
		return nil, errors.New("the stored chart has no name or version (the release record is incomplete; write the chart out as a local chart instead)")
	}
	m := matcher{
		loader: loader, config: config, want: contents(stored),
		name: stored.Metadata.Name, version: stored.Metadata.Version,
	}
	res := &Result{Version: m.version, Digest: Digest(stored)}
	for _, repoName := range slices.Sorted(maps.Keys(repos)) {
		a := m.try(ctx, repoName, repos[repoName])
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("match chart %s %s: %w", m.name, m.version, err)
		}
		res.Attempts = append(res.Attempts, a)
		if a.Outcome == OutcomeMatched {
			res.Chart, res.Repository, res.URL = repoName+"/"+m.name, repoName, a.URL
			break
		}
	}
	return res, nil
}

// matcher looks for one stored chart.
type matcher struct {
	loader        *chart.Loader
	config        map[string]any
	want          []entry
	name, version string
}

// try looks for the chart at the stored version in one repository and compares its stored form
// with the stored chart.
func (m matcher) try(ctx context.Context, repoName, repoURL string) Attempt {
	a := Attempt{Repository: repoName, URL: redact(repoURL)}
	name, version := m.name, m.version
	versions, err := m.loader.Versions(ctx, repoName, repoURL, name)
	var notFound *chart.ChartNotFoundError
	switch {
	case errors.As(err, &notFound):
		a.Outcome = OutcomeChartMissing
		return a
	case err != nil:
		a.Outcome, a.Err = OutcomeFetchError, err
		return a
	case !slices.Contains(versions, version):
		a.Outcome, a.Newest = OutcomeVersionMissing, versions[:min(len(versions), 5)]
		return a
	}
	loaded, err := m.loader.LoadFrom(ctx, repoName, repoURL, name, version)
	if err != nil {
		a.Outcome, a.Err = OutcomeFetchError, err
		return a
	}
	form, err := StoredForm(loaded.Chart, m.config)
	if err != nil {
		a.Outcome, a.Err = OutcomeFetchError, err
		return a
	}
	if diff := firstDifference(contents(form), m.want); diff != "" {
		a.Outcome, a.File = OutcomeContentDiffers, diff
		return a
	}
	a.Outcome = OutcomeMatched
	return a
}

// redact returns raw without its password, or raw unchanged when it does not parse.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
