package chart

import (
	"slices"
	"testing"
)

func TestClosest(t *testing.T) {
	names := []string{"redis", "redis-cluster", "postgresql", "nginx", "nginx-ingress-controller", "mysql"}
	tests := []struct {
		target string
		want   []string
	}{
		{"rediss", []string{"redis", "redis-cluster"}},
		{"ngnix", []string{"nginx"}},
		{"postgres", []string{"postgresql"}},
		{"kafka", nil},
		{"NGINX", []string{"nginx", "nginx-ingress-controller"}},
	}
	for _, tt := range tests {
		if got := closest(tt.target, names, 3); !slices.Equal(got, tt.want) {
			t.Errorf("closest(%q) = %v, want %v", tt.target, got, tt.want)
		}
	}
	if got := closest("redis", names, 1); !slices.Equal(got, []string{"redis"}) {
		t.Errorf("closest limited to 1 = %v", got)
	}
}

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"stable", "stabel", 2}, {"héllo", "hello", 1},
	}
	for _, tt := range tests {
		if got := levenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestPickVersion(t *testing.T) {
	versions := []string{"0.1.0", "1.0.0", "1.1.0-rc.1", "0.2.0", "1.0.1"}
	tests := []struct {
		version, want string
		ok            bool
	}{
		{"", "1.0.1", true},
		{"^0", "0.2.0", true},
		{"~1.0", "1.0.1", true},
		{"1.1.0-rc.1", "1.1.0-rc.1", true},
		{">=1.1.0-0", "1.1.0-rc.1", true},
		{">=2", "", false},
	}
	for _, tt := range tests {
		got, ok := pickVersion(versions, tt.version)
		if got != tt.want || ok != tt.ok {
			t.Errorf("pickVersion(%q) = %q, %v; want %q, %v", tt.version, got, ok, tt.want, tt.ok)
		}
	}
	if got := newestFirst(versions); !slices.Equal(got, []string{"1.1.0-rc.1", "1.0.1", "1.0.0", "0.2.0", "0.1.0"}) {
		t.Errorf("newestFirst = %v", got)
	}
}
