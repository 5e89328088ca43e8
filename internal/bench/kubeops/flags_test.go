package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsRefusesWhatCannotRun(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-helm", "helm"}, "-kaji and -helm are required"},
		{[]string{"-kaji", "kaji", "-helm", "helm", "-n", "0"}, "at least 1"},
		{[]string{"-kaji", "kaji", "-helm", "helm", "-latency", "20"}, "-latency"},
		{[]string{"-kaji", "kaji", "-helm", "helm", "-helm-plugins", "plugins"}, "give -helmfile too"},
	} {
		_, err := parseFlags(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseFlags(%q) = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
}

func TestParseFlagsTakesPathsFromTheWorkingDirectory(t *testing.T) {
	c, err := parseFlags([]string{"-kaji", "bin/kaji", "-helm", "bin/helm", "-helmfile", "bin/helmfile",
		"-helm-plugins", "plugins", "-latency", "0, 20ms"})
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{"kaji": c.kaji, "helm": c.helm, "helmfile": c.helmfile, "plugins": c.plugins} {
		if !filepath.IsAbs(p) {
			t.Errorf("%s: %q is not absolute: the bench runs its processes in another directory", name, p)
		}
	}
	if len(c.latencies) != 2 || c.latencies[0] != 0 || c.latencies[1] != 20*time.Millisecond {
		t.Errorf("latencies = %v, want [0 20ms]", c.latencies)
	}
}
