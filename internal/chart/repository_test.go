package chart

import (
	"errors"
	"net/http"
	"slices"
	"testing"
)

// Versions and LoadFrom read repositories that the Loader was not given, with the same errors
// as Load.
func TestVersionsAndLoadFrom(t *testing.T) {
	https := newChartRepo(t, map[string][]string{"alpha": {"0.1.0", "1.0.0", "0.2.0"}})
	reg := newOCIRegistry(t)
	for _, v := range []string{"0.1.0", "1.0.0", "0.2.0"} {
		reg.push(t, "charts", "alpha", v)
	}
	l := NewLoader(Options{CacheDir: t.TempDir(), RegistryClient: reg.client})
	for name, u := range map[string]string{"https": https.url(), "oci": "oci://" + reg.host + "/charts"} {
		t.Run(name, func(t *testing.T) {
			got, err := l.Versions(t.Context(), name, u, "alpha")
			if err != nil || !slices.Equal(got, []string{"1.0.0", "0.2.0", "0.1.0"}) {
				t.Errorf("versions %v, %v", got, err)
			}
			var notFound *ChartNotFoundError
			if _, err := l.Versions(t.Context(), name, u, "beta"); !errors.As(err, &notFound) || notFound.Repository != name {
				t.Errorf("versions of a missing chart: %v, want a ChartNotFoundError", err)
			}
			loaded, err := l.LoadFrom(t.Context(), name, u, "alpha", "0.2.0")
			if err != nil || loaded.Version != "0.2.0" || loaded.Chart.Name() != "alpha" {
				t.Fatalf("load from %s: %+v, %v", u, loaded, err)
			}
			if _, err := l.LoadFrom(t.Context(), name, u, "alpha/x", "0.2.0"); err == nil {
				t.Error("a chart name with a slash loaded")
			}
		})
	}
	if got := https.requests("/stable/index.yaml"); got != 1 {
		t.Errorf("the index was fetched %d times, want once per Loader", got)
	}
	var fe *FetchError
	if _, err := l.Versions(t.Context(), "gone", https.url()+"/nothing", "alpha"); !errors.As(err, &fe) || fe.StatusCode != http.StatusNotFound {
		t.Errorf("versions from a missing repository: %v, want a 404 FetchError", err)
	}
	if _, err := l.Versions(t.Context(), "bad", "ftp://example.com", "alpha"); err == nil {
		t.Error("an ftp repository was accepted")
	}
}
