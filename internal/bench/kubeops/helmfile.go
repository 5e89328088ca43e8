package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// helmfile runs the helmfile binary of -helmfile on the helmfile.yaml of writeHelmfile, with
// the helm CLI of -helm, against the control plane in use, with --skip-deps: the charts hold
// their dependencies in charts/, as kaji takes them (without it, helmfile runs `helm
// dependency build`, which downloads them again).
func (b *bench) helmfile(args ...string) func() (time.Duration, int64, error) {
	return func() (time.Duration, int64, error) {
		full := append([]string{"--file", filepath.Join(b.dir, "helmfile.yaml"), "--helm-binary", b.cfg.helm, "--skip-deps",
			"--kubeconfig", b.kubeconfig, "--kube-context", b.env.ContextName}, args...)
		return b.exec(b.cfg.helmfile, full...)
	}
}

// writeHelmfile writes the helmfile.yaml equivalent to writeSpec's kaji.yaml: the same
// releases, namespaces (created by helm), charts, values files and inline values; release 0
// gets first as its changing value.
func (b *bench) writeHelmfile(first string) error {
	var s strings.Builder
	s.WriteString("releases:\n")
	for i, r := range b.releases {
		inline, err := r.inline(i, first)
		if err != nil {
			return err
		}
		fmt.Fprintf(&s, "  - name: %s\n    namespace: %s\n    chart: %s\n    createNamespace: true\n    values:\n", r.name, r.namespace, r.chart)
		for _, f := range r.valuesFiles {
			q, err := json.Marshal(f)
			if err != nil {
				return err
			}
			fmt.Fprintf(&s, "      - %s\n", q)
		}
		fmt.Fprintf(&s, "      - %s\n", inline)
	}
	return os.WriteFile(filepath.Join(b.dir, "helmfile.yaml"), []byte(s.String()), 0o644)
}

// helmfileCycles measures helmfile as users run it (its default concurrency, one helm process
// per release): `helmfile sync` installs all, then `helmfile diff` with nothing changed when
// -helm-plugins holds the helm-diff plugin, a one-release change with a selector, and
// `helmfile destroy`.
func (b *bench) helmfileCycles() error {
	for c := 0; c < b.cfg.cycles; c++ {
		if err := b.writeHelmfile("v1"); err != nil {
			return err
		}
		if err := b.measure("helmfile sync: install all", b.helmfile("sync")); err != nil {
			return err
		}
		if c == 0 {
			for r := 0; b.cfg.plugins != "" && r < b.cfg.reps; r++ {
				if err := b.measure("helmfile diff: no change", b.helmfile("diff")); err != nil {
					return err
				}
			}
			for r := 0; r < b.cfg.reps; r++ {
				if err := b.writeHelmfile(fmt.Sprintf("v%d", r+2)); err != nil {
					return err
				}
				sel := "name=" + b.releases[0].name
				if err := b.measure("helmfile sync --selector: one change", b.helmfile("sync", "--selector", sel)); err != nil {
					return err
				}
			}
		}
		if err := b.measure("helmfile destroy", b.helmfile("destroy")); err != nil {
			return err
		}
	}
	return nil
}
