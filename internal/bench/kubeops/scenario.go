package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

func (b *bench) kaji(args ...string) func() (time.Duration, int64, error) {
	return func() (time.Duration, int64, error) {
		return b.exec(b.cfg.kaji, append(args, "-f", filepath.Join(b.dir, "kaji.yaml"),
			"--kubeconfig", b.kubeconfig, "--kube-context", b.env.ContextName)...)
	}
}

func (b *bench) helm(args ...string) (time.Duration, int64, error) {
	return b.exec(b.cfg.helm, append(args, "--kubeconfig", b.kubeconfig, "--kube-context", b.env.ContextName)...)
}

// helmLoop runs f for each release, sequentially, and sums the wall times.
func (b *bench) helmLoop(f func(r release) (time.Duration, int64, error)) (time.Duration, int64, error) {
	var total time.Duration
	var peak int64
	for _, r := range b.releases {
		w, rss, err := f(r)
		total += w
		peak = max(peak, rss)
		if err != nil {
			return total, peak, err
		}
	}
	return total, peak, nil
}

// scenario measures, at the current latency: kaji's install and destroy cycles with the
// cheap operations after the first install, the same installs with --concurrency 1, and the
// helm loop's cycles with its cheap operations after the first install.
func (b *bench) scenario() error {
	if err := b.kajiCycles(); err != nil {
		return err
	}
	// The same install one release at a time: what the parallel apply gains.
	for c := 0; c < b.cfg.cycles; c++ {
		if err := b.measure("kaji apply --concurrency 1: install all", b.kaji("apply", "--yes", "--concurrency", "1")); err != nil {
			return err
		}
		if err := b.measure("kaji destroy after --concurrency 1", b.kaji("destroy", "--yes")); err != nil {
			return err
		}
	}
	if err := b.helmCycles(); err != nil {
		return err
	}
	if b.cfg.helmfile != "" {
		return b.helmfileCycles()
	}
	return nil
}

func (b *bench) kajiCycles() error {
	reps := b.cfg.reps
	for c := 0; c < b.cfg.cycles; c++ {
		if err := b.writeSpec("v1"); err != nil {
			return err
		}
		if err := b.measure("kaji apply: install all", b.kaji("apply", "--yes")); err != nil {
			return err
		}
		if c == 0 {
			if err := b.recordStates(); err != nil {
				return err
			}
			for r := 0; r < reps; r++ {
				if err := b.measure("kaji plan: no change", b.kaji("plan")); err != nil {
					return err
				}
			}
			if err := b.writeSpec("v2"); err != nil {
				return err
			}
			for r := 0; r < reps; r++ {
				if err := b.measure("kaji plan: one change", b.kaji("plan")); err != nil {
					return err
				}
			}
			for r := 0; r < reps; r++ {
				if err := b.writeSpec(fmt.Sprintf("v%d", r+2)); err != nil {
					return err
				}
				if err := b.measure("kaji apply: one change", b.kaji("apply", "--yes")); err != nil {
					return err
				}
			}
			// The plan a user runs after an apply: the apply recorded what the charts that
			// call lookup read, which the plans right after the first install must render.
			for r := 0; r < reps; r++ {
				if err := b.measure("kaji plan: no change, after an apply", b.kaji("plan")); err != nil {
					return err
				}
			}
		}
		if err := b.measure("kaji destroy", b.kaji("destroy", "--yes")); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) helmCycles() error {
	reps := b.cfg.reps
	for c := 0; c < b.cfg.cycles; c++ {
		err := b.measure("helm loop: upgrade --install all", func() (time.Duration, int64, error) {
			return b.helmLoop(func(r release) (time.Duration, int64, error) {
				args := append([]string{"upgrade", "--install", r.name, r.chart, "-n", r.namespace, "--create-namespace"}, r.helmArgs("v1")...)
				return b.helm(args...)
			})
		})
		if err != nil {
			return err
		}
		if c == 0 {
			for i := 0; i < reps; i++ {
				err := b.measure("helm list -A + get manifest each", func() (time.Duration, int64, error) {
					w0, r0, err := b.helm("list", "-A")
					if err != nil {
						return w0, r0, err
					}
					w, rss, err := b.helmLoop(func(r release) (time.Duration, int64, error) {
						return b.helm("get", "manifest", r.name, "-n", r.namespace)
					})
					return w0 + w, max(r0, rss), err
				})
				if err != nil {
					return err
				}
			}
			first := b.releases[0]
			for i := 0; i < reps; i++ {
				err := b.measure("helm upgrade: one release", func() (time.Duration, int64, error) {
					args := append([]string{"upgrade", first.name, first.chart, "-n", first.namespace}, first.helmArgs(fmt.Sprintf("v%d", i+2))...)
					return b.helm(args...)
				})
				if err != nil {
					return err
				}
			}
		}
		err = b.measure("helm loop: uninstall all", func() (time.Duration, int64, error) {
			return b.helmLoop(func(r release) (time.Duration, int64, error) {
				return b.helm("uninstall", r.name, "-n", r.namespace)
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// recordStates runs one `kaji plan -o json`, not measured, and keeps the releases that it
// finds other than in sync right after an install: what the "no change" operations do.
func (b *bench) recordStates() error {
	cmd := exec.Command(b.cfg.kaji, "plan", "-o", "json", "-f", filepath.Join(b.dir, "kaji.yaml"),
		"--kubeconfig", b.kubeconfig, "--kube-context", b.env.ContextName)
	cmd.Dir = b.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kaji plan -o json: %w\n%s", err, stderr.String())
	}
	var plan struct {
		Releases []struct {
			Name   string `json:"name"`
			State  string `json:"state"`
			Reason string `json:"reason"`
		} `json:"releases"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &plan); err != nil {
		return fmt.Errorf("kaji plan -o json: %w", err)
	}
	b.states = nil
	for _, r := range plan.Releases {
		if r.State != "in-sync" {
			b.states = append(b.states, fmt.Sprintf("%s: %s (%s)", r.Name, r.State, strings.TrimSpace(r.Reason)))
		}
	}
	return nil
}
