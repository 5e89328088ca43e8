package chartlock

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/spec"
)

// parallelism bounds how many charts Relock resolves at once.
const parallelism = 8

// UnknownReleaseError is a release name that kaji.yaml does not declare.
type UnknownReleaseError struct {
	Name string
	// Declared are the declared release names, in file order.
	Declared []string
}

func (e *UnknownReleaseError) Error() string {
	return fmt.Sprintf("kaji.yaml declares no release %q (declared: %s)", e.Name, strings.Join(e.Declared, ", "))
}

// Relock resolves anew, as kaji lock does, the pins of the releases named (all of them when
// names is empty) in every environment of doc, and returns the new kaji.lock: each release
// gets its base entry, and an environment gets an entry of its own only where the base entry
// cannot serve it (see the package documentation). The entries of releases that are not named
// are kept from old (nil for no file). Without names, entries of releases that kaji.yaml no
// longer declares, or no longer loads from a repository, are dropped. Nothing is written.
func Relock(ctx context.Context, doc *spec.Document, loader *chart.Loader, old *File, names []string) (*File, error) {
	var declared []string
	for _, r := range doc.File.Releases {
		declared = append(declared, r.Name)
	}
	for _, n := range names {
		if !slices.Contains(declared, n) {
			return nil, &UnknownReleaseError{Name: n, Declared: declared}
		}
	}
	selected := func(name string) bool { return len(names) == 0 || slices.Contains(names, name) }

	out := &File{}
	if len(names) > 0 && old != nil {
		for _, e := range old.Entries {
			if !selected(e.Release) {
				out.Set(e)
			}
		}
	}
	envs := append([]string{""}, slices.Sorted(maps.Keys(doc.File.Environments))...)
	resolved := make([]*spec.Resolved, len(envs))
	for i, env := range envs {
		res, err := doc.Resolve(env)
		if err != nil {
			if env == "" {
				return nil, err
			}
			return nil, fmt.Errorf("environment %s: %w", env, err)
		}
		resolved[i] = res
	}

	// The base entries first: whether an environment needs one of its own depends on them.
	for i, res := range resolved {
		var jobs []job
		var errs []error
		for _, r := range res.Releases {
			if !selected(r.Name) || r.ChartKind == spec.ChartLocal {
				continue
			}
			key := Key{Release: r.Name, Environment: envs[i]}
			loc, err := loader.Locate(r.Chart)
			if err != nil {
				errs = append(errs, fmt.Errorf("release %s: %w", key, err))
				continue
			}
			if base, ok := out.Get(Key{Release: r.Name}); i > 0 && ok && serves(base, loc, r.Version) == "" {
				continue
			}
			jobs = append(jobs, job{key: key, release: r, loc: loc})
		}
		entries, err := resolve(ctx, loader, jobs)
		if err := errors.Join(append(errs, err)...); err != nil {
			return nil, err
		}
		for _, e := range entries {
			out.Set(e)
		}
	}
	return out, nil
}

// job is one chart for Relock to resolve.
type job struct {
	key     Key
	release spec.ResolvedRelease
	loc     chart.Location
}

// resolve loads the newest version that each job's constraint admits, a few at a time, and
// returns their entries. Every failure is reported, in the order of jobs.
func resolve(ctx context.Context, loader *chart.Loader, jobs []job) ([]Entry, error) {
	entries := make([]Entry, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, parallelism)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			loaded, err := loader.Load(ctx, j.release.Chart, j.release.Version)
			if err != nil {
				errs[i] = fmt.Errorf("release %s: %w", j.key, err)
				return
			}
			entries[i] = newEntry(j.key, j.loc, loaded)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return entries, errors.Join(errs...)
}
