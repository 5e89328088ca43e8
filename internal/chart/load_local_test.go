package chart

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadLocalDirectory(t *testing.T) {
	dir := writeChartDir(t, t.TempDir(), "web", "0.3.1")
	l := NewLoader(Options{CacheDir: t.TempDir(), Offline: true})

	for _, version := range []string{"", "0.3.1", "^0.3", ">=0.1.0 <1.0.0"} {
		t.Run("version="+version, func(t *testing.T) {
			got, err := l.Load(t.Context(), dir, version)
			if err != nil {
				t.Fatal(err)
			}
			if got.Source != SourceLocal || got.Version != "0.3.1" || got.Path != dir || got.Digest != "" || got.Cached {
				t.Errorf("got %+v, want local 0.3.1 at %s without digest", got, dir)
			}
			if got.Chart.Metadata.Name != "web" || len(got.Chart.Templates) != 1 {
				t.Errorf("chart = %s with %d templates, want web with 1", got.Chart.Metadata.Name, len(got.Chart.Templates))
			}
			if got.Chart.Values["greeting"] != "hello from web 0.3.1" {
				t.Errorf("values = %v", got.Chart.Values)
			}
		})
	}

	for _, version := range []string{"0.3.2", ">=1.0.0"} {
		t.Run("mismatch="+version, func(t *testing.T) {
			_, err := l.Load(t.Context(), dir, version)
			var nm *NoMatchingVersionError
			if !errors.As(err, &nm) || !nm.Local {
				t.Fatalf("err = %v, want a local *NoMatchingVersionError", err)
			}
			if !strings.Contains(err.Error(), "has version 0.3.1") || !strings.Contains(err.Error(), version) {
				t.Errorf("error %q should name both versions", err)
			}
		})
	}
}

func TestLoadLocalArchive(t *testing.T) {
	path := packageChart(t, t.TempDir(), "api", "1.2.3")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)

	got, err := NewLoader(Options{CacheDir: t.TempDir()}).Load(t.Context(), path, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256:" + hex.EncodeToString(sum[:]); got.Digest != want {
		t.Errorf("digest = %s, want %s", got.Digest, want)
	}
	if got.Source != SourceLocal || got.Version != "1.2.3" || got.Path != path || got.Chart.Metadata.Name != "api" {
		t.Errorf("got %+v", got)
	}
}

func TestLoadLocalErrors(t *testing.T) {
	tmp := t.TempDir()
	notChart := filepath.Join(tmp, "empty")
	if err := os.Mkdir(notChart, 0o755); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(tmp, "garbage.tgz")
	if err := os.WriteFile(garbage, []byte("not a tarball"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(tmp, "missing")

	tests := []struct {
		path, want string
		notExist   bool
	}{
		{missing, missing + " does not exist", true},
		{notChart, "has no Chart.yaml", false},
		{garbage, "is not a valid chart", false},
	}
	l := NewLoader(Options{CacheDir: t.TempDir()})
	for _, tt := range tests {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			_, err := l.Load(t.Context(), tt.path, "")
			var le *LocalChartError
			if !errors.As(err, &le) || le.Path != tt.path {
				t.Fatalf("err = %v, want *LocalChartError for %s", err, tt.path)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "check the chart path") {
				t.Errorf("error %q should contain %q and a hint", err, tt.want)
			}
			if errors.Is(err, fs.ErrNotExist) != tt.notExist {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v, want %v", !tt.notExist, tt.notExist)
			}
		})
	}
}

func TestLoadReturnsAFreshChartEachTime(t *testing.T) {
	dir := writeChartDir(t, t.TempDir(), "web", "0.1.0")
	l := NewLoader(Options{CacheDir: t.TempDir()})
	a, err := l.Load(t.Context(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	a.Chart.Values["greeting"] = "changed"
	a.Chart.Templates = nil
	b, err := l.Load(t.Context(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Chart.Values["greeting"] != "hello from web 0.1.0" || len(b.Chart.Templates) != 1 {
		t.Errorf("second load saw the first caller's changes: %v, %d templates", b.Chart.Values, len(b.Chart.Templates))
	}
}
