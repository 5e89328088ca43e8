package chart

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	l := NewLoader(Options{Repositories: map[string]string{
		"stable": "https://charts.example.com/stable/",
		"reg":    "oci://registry.example.com/charts/",
		"bad":    "ftp://example.com",
	}})
	cwd, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref     string
		want    reference
		wantErr string
	}{
		{ref: "/srv/charts/web", want: reference{kind: SourceLocal, path: "/srv/charts/web"}},
		{ref: "./charts/web", want: reference{kind: SourceLocal, path: filepath.Join(cwd, "charts/web")}},
		{ref: "../web-1.0.0.tgz", want: reference{kind: SourceLocal, path: filepath.Join(filepath.Dir(cwd), "web-1.0.0.tgz")}},
		{ref: "stable/redis", want: reference{kind: SourceRepo, repoName: "stable", repoURL: "https://charts.example.com/stable/", name: "redis"}},
		{ref: "reg/redis", want: reference{kind: SourceOCI, oci: ociRef{repository: "registry.example.com/charts/redis"}}},
		{ref: "reg/team/redis:1.0.0", want: reference{kind: SourceOCI, oci: ociRef{repository: "registry.example.com/charts/team/redis", tag: "1.0.0"}}},
		{ref: "oci://localhost:5000/a/b", want: reference{kind: SourceOCI, oci: ociRef{repository: "localhost:5000/a/b"}}},
		{ref: "oci://localhost:5000/a/b:1.2.3", want: reference{kind: SourceOCI, oci: ociRef{repository: "localhost:5000/a/b", tag: "1.2.3"}}},
		{
			ref:  "oci://ghcr.io/a/b@sha256:" + strings.Repeat("ab", 32),
			want: reference{kind: SourceOCI, oci: ociRef{repository: "ghcr.io/a/b", digest: "sha256:" + strings.Repeat("ab", 32)}},
		},
		{ref: "", wantErr: "chart is empty"},
		{ref: "redis", wantErr: "not a local path, repo/name or an oci:// reference"},
		{ref: "stabel/redis", wantErr: `unknown repository "stabel" (did you mean "stable"?)`},
		{ref: "zzz/redis", wantErr: "declared: bad, reg, stable"},
		{ref: "bad/redis", wantErr: "neither an https:// chart repository nor an oci:// registry"},
		{ref: "stable/a/b", wantErr: "contains a slash"},
		{ref: "oci://localhost:5000", wantErr: "has no chart name"},
		{ref: "oci://ghcr.io/a/b@sha256:abc", wantErr: "only sha256:<64 hex digits>"},
		{ref: "oci://ghcr.io/a/b:", wantErr: "empty tag"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := l.parseRef(tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("parseRef(%q) = %+v, want %+v", tt.ref, got, tt.want)
			}
		})
	}
}

func TestUnknownRepositoryIsTyped(t *testing.T) {
	l := NewLoader(Options{CacheDir: t.TempDir(), Repositories: map[string]string{"bitnami": "https://example.com"}})
	_, err := l.Load(t.Context(), "bitnamy/redis", "")
	var ur *UnknownRepositoryError
	if !errors.As(err, &ur) || ur.Suggestion != "bitnami" {
		t.Fatalf("err = %v, want *UnknownRepositoryError suggesting bitnami", err)
	}
	if want := `load chart bitnamy/redis: unknown repository "bitnamy" (did you mean "bitnami"?)`; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestInvalidVersion(t *testing.T) {
	dir := writeChartDir(t, t.TempDir(), "web", "0.1.0")
	_, err := NewLoader(Options{CacheDir: t.TempDir()}).Load(t.Context(), dir, "not a version!")
	if err == nil || !strings.Contains(err.Error(), `version "not a version!" is not a version or a semver constraint`) {
		t.Fatalf("err = %v, want an invalid version error", err)
	}
}
