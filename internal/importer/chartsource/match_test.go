package chartsource_test

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/importer/chartsource"
)

// A closed server's URL: a repository that is down.
func downURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(nil)
	u := srv.URL + "/charts"
	srv.Close()
	return u
}

type attemptWant struct {
	repo    string
	outcome chartsource.Outcome
	file    string // for content differs
}

func TestMatch(t *testing.T) {
	cni := corpusArchive(t, "aws-vpc-cni")
	redis := corpusArchive(t, "redis")
	redisConfig := map[string]any{"architecture": "standalone", "auth": map[string]any{"enabled": false}}
	tmpl := "templates/daemonset.yaml"
	changed := changeFile(t, cni, tmpl, "kind: DaemonSet\n")
	// redis at the same version, whose vendored common subchart has other default values: the
	// stored chart keeps them merged into its own.
	redisOtherCommon := reload(t, redis)
	common := redisOtherCommon.Dependencies()[0]
	for _, f := range common.Raw { // packaging writes values.yaml from the raw file
		if f.Name == "values.yaml" {
			f.Data = append(f.Data, "\nkaji: other\n"...)
		}
	}

	repos := newChartRepos(t)
	good := repos.add(t, "good", cni, redis)
	altered := repos.add(t, "altered", changed, redisOtherCommon)
	otherVersion := repos.add(t, "other-version", withVersion(t, cni, "1.0.0"), withVersion(t, cni, "1.22.3"))
	empty := repos.add(t, "empty", withVersion(t, changeFile(t, cni, tmpl, "x"), "0.1.0")) // holds no redis
	reg := newOCIRegistry(t)
	ociGood := reg.push(t, "good", cni, redis)
	ociAltered := reg.push(t, "altered", changed)
	ociOther := reg.push(t, "other", withVersion(t, cni, "0.0.1"))

	tests := []struct {
		name     string
		stored   *chartv2.Chart
		config   map[string]any
		repos    map[string]string
		chart    string
		attempts []attemptWant
	}{
		{
			name: "https", stored: cni, repos: map[string]string{"stable": good},
			chart:    "stable/aws-vpc-cni",
			attempts: []attemptWant{{"stable", chartsource.OutcomeMatched, ""}},
		},
		{
			name: "oci", stored: cni, repos: map[string]string{"reg": ociGood},
			chart:    "reg/aws-vpc-cni",
			attempts: []attemptWant{{"reg", chartsource.OutcomeMatched, ""}},
		},
		{
			name: "one template changed, then a match", stored: cni,
			repos: map[string]string{"a": altered, "b": good},
			chart: "b/aws-vpc-cni",
			attempts: []attemptWant{
				{"a", chartsource.OutcomeContentDiffers, tmpl},
				{"b", chartsource.OutcomeMatched, ""},
			},
		},
		{
			name: "one template changed in a registry", stored: cni, repos: map[string]string{"reg": ociAltered},
			attempts: []attemptWant{{"reg", chartsource.OutcomeContentDiffers, tmpl}},
		},
		{
			name: "version missing", stored: cni, repos: map[string]string{"old": otherVersion, "reg": ociOther},
			attempts: []attemptWant{
				{"old", chartsource.OutcomeVersionMissing, ""},
				{"reg", chartsource.OutcomeVersionMissing, ""},
			},
		},
		{
			name: "chart missing", stored: redis, config: redisConfig,
			repos: map[string]string{"empty": empty, "reg": ociOther},
			attempts: []attemptWant{
				{"empty", chartsource.OutcomeChartMissing, ""},
				{"reg", chartsource.OutcomeChartMissing, ""},
			},
		},
		{
			name: "a repository down while another matches", stored: cni,
			repos: map[string]string{"a-down": downURL(t), "b-reg": ociGood},
			chart: "b-reg/aws-vpc-cni",
			attempts: []attemptWant{
				{"a-down", chartsource.OutcomeFetchError, ""},
				{"b-reg", chartsource.OutcomeMatched, ""},
			},
		},
		{
			name: "subcharts", stored: redis, config: redisConfig,
			repos: map[string]string{"a": altered, "b": good, "c": ociGood},
			chart: "b/redis",
			attempts: []attemptWant{
				{"a", chartsource.OutcomeContentDiffers, "values.yaml"},
				{"b", chartsource.OutcomeMatched, ""},
			},
		},
		{
			name: "subcharts in a registry", stored: redis, config: redisConfig,
			repos:    map[string]string{"reg": ociGood},
			chart:    "reg/redis",
			attempts: []attemptWant{{"reg", chartsource.OutcomeMatched, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form, err := chartsource.StoredForm(tt.stored, tt.config)
			if err != nil {
				t.Fatal(err)
			}
			stored := throughRelease(t, form)
			loader := chart.NewLoader(chart.Options{
				CacheDir:       t.TempDir(),
				HTTPClient:     repos.srv.Client(),
				RegistryClient: reg.client,
			})
			res, err := chartsource.Match(t.Context(), loader, stored, tt.config, tt.repos)
			if err != nil {
				t.Fatal(err)
			}
			if res.Chart != tt.chart || res.Matched() != (tt.chart != "") {
				t.Errorf("chart %q (matched %v), want %q", res.Chart, res.Matched(), tt.chart)
			}
			if res.Version != tt.stored.Metadata.Version || res.Digest != chartsource.Digest(stored) {
				t.Errorf("version %s digest %s, want %s %s", res.Version, res.Digest, tt.stored.Metadata.Version, chartsource.Digest(stored))
			}
			var got []attemptWant
			for _, a := range res.Attempts {
				got = append(got, attemptWant{a.Repository, a.Outcome, a.File})
				if a.URL != tt.repos[a.Repository] {
					t.Errorf("attempt %s has URL %s, want %s", a.Repository, a.URL, tt.repos[a.Repository])
				}
				if (a.Err != nil) != (a.Outcome == chartsource.OutcomeFetchError) {
					t.Errorf("attempt %s: %s with error %v", a.Repository, a.Outcome, a.Err)
				}
				if a.Outcome == chartsource.OutcomeVersionMissing && (len(a.Newest) == 0 || slices.Contains(a.Newest, res.Version)) {
					t.Errorf("attempt %s: version missing, newest %v", a.Repository, a.Newest)
				}
				t.Log(a)
			}
			if !slices.Equal(got, tt.attempts) {
				t.Errorf("attempts\n%v\nwant\n%v", got, tt.attempts)
			}
			if res.Matched() && res.URL != tt.repos[res.Repository] {
				t.Errorf("matched repository %s at %s", res.Repository, res.URL)
			}
			if n := len(res.FetchErrors()); n != strings.Count(tt.name, "down") {
				t.Errorf("%d fetch errors", n)
			}
		})
	}
}

// What Match returns can be loaded by kaji's loader as kaji.yaml writes it: the repository
// declared under its name, the chart as repo/name, at the stored version.
func TestMatchedChartLoads(t *testing.T) {
	cni := corpusArchive(t, "aws-vpc-cni")
	reg := newOCIRegistry(t)
	repos := newChartRepos(t)
	candidates := map[string]string{"https": repos.add(t, "good", cni), "oci": reg.push(t, "charts", cni)}
	for name, u := range candidates {
		t.Run(name, func(t *testing.T) {
			stored := throughRelease(t, cni)
			res, err := chartsource.Match(t.Context(), chart.NewLoader(chart.Options{
				CacheDir: t.TempDir(), HTTPClient: repos.srv.Client(), RegistryClient: reg.client,
			}), stored, nil, map[string]string{name: u})
			if err != nil || !res.Matched() {
				t.Fatalf("match: %v, %+v", err, res)
			}
			declared := chart.NewLoader(chart.Options{
				CacheDir: t.TempDir(), HTTPClient: repos.srv.Client(), RegistryClient: reg.client,
				Repositories: map[string]string{res.Repository: res.URL},
			})
			loaded, err := declared.Load(t.Context(), res.Chart, res.Version)
			if err != nil {
				t.Fatal(err)
			}
			if d := chartsource.FirstDifference(loaded.Chart, stored); d != "" {
				t.Errorf("the chart kaji.yaml would load differs from the stored one in %s", d)
			}
		})
	}
}

func TestMatchNeedsNameAndVersion(t *testing.T) {
	loader := chart.NewLoader(chart.Options{CacheDir: t.TempDir()})
	for _, c := range []*chartv2.Chart{nil, {}, {Metadata: &chartv2.Metadata{Name: "x"}}} {
		if _, err := chartsource.Match(t.Context(), loader, c, nil, map[string]string{"a": "https://example.invalid"}); err == nil {
			t.Errorf("chart %+v: no error", c)
		}
	}
}

// A chart with conditional subcharts is stored for the release's values: it matches when
// compared for those values, and not for others.
func TestMatchUsesReleaseConfig(t *testing.T) {
	prom := corpusArchive(t, "prometheus")
	if len(prom.Dependencies()) < 2 {
		t.Fatalf("prometheus carries %d subcharts, want its vendored ones", len(prom.Dependencies()))
	}
	config := map[string]any{"alertmanager": map[string]any{"enabled": false}}
	form, err := chartsource.StoredForm(prom, config)
	if err != nil {
		t.Fatal(err)
	}
	stored := throughRelease(t, form)
	repos := newChartRepos(t)
	candidates := map[string]string{"prometheus-community": repos.add(t, "prom", prom)}
	for _, tt := range []struct {
		config map[string]any
		want   chartsource.Outcome
	}{{config, chartsource.OutcomeMatched}, {nil, chartsource.OutcomeContentDiffers}} {
		loader := chart.NewLoader(chart.Options{CacheDir: t.TempDir(), HTTPClient: repos.srv.Client()})
		res, err := chartsource.Match(t.Context(), loader, stored, tt.config, candidates)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Attempts) != 1 || res.Attempts[0].Outcome != tt.want {
			t.Errorf("config %v: attempts %v, want %s", tt.config, res.Attempts, tt.want)
		}
	}
}
