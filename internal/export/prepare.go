package export

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// Input is what an export reads: kaji.yaml resolved for one environment, with the charts'
// places and pins.
type Input struct {
	// Resolved is kaji.yaml with the exported environment applied.
	Resolved *spec.Resolved
	// Pins gives the versions kaji.lock pins.
	Pins Pinner
	// Charts locates the remote charts.
	Charts Locator
}

// prepare turns the resolved releases into exported ones: their sources, versions and
// values split into inline values and Secrets.
func prepare(ctx context.Context, in Input) ([]Release, []Note, error) {
	res := in.Resolved
	depth := map[string]int{}
	var out []Release
	var notes []Note
	for _, r := range res.Releases {
		src, err := source(ctx, in, r)
		if err != nil {
			return nil, nil, fmt.Errorf("release %s (%s): %w", r.Name, r.Pos, err)
		}
		vals, secrets, err := splitValues(res, r)
		if err != nil {
			return nil, nil, fmt.Errorf("release %s (%s): %w", r.Name, r.Pos, err)
		}
		d := 0
		for _, n := range r.Needs {
			d = max(d, depth[n]+1)
		}
		depth[r.Name] = d
		timeout := r.Timeout
		if timeout == 0 {
			timeout = release.DefaultTimeout
		}
		out = append(out, Release{ResolvedRelease: r, Source: src, Values: vals, Secrets: secrets, Depth: d, Timeout: timeout})
		if src.Kind != SourceLocal && src.Version == "" {
			notes = append(notes, Note{Release: r.Name, Topic: "version",
				Text: "kaji.yaml sets no version and kaji.lock pins none: the engine follows the newest stable version, as kaji apply does; run kaji lock to pin it"})
		}
	}
	for _, d := range res.Disabled {
		notes = append(notes, Note{Release: d.Name, Topic: "enabled",
			Text: strings.ReplaceAll(d.Reason, d.Pos.File, res.DisplayPath(d.Pos.File)) + ": not exported; an installed release of that name is left alone by the engine"})
	}
	return out, notes, nil
}

// source finds where the chart of r comes from, at the version kaji.lock pins.
func source(ctx context.Context, in Input, r spec.ResolvedRelease) (Source, error) {
	if r.ChartKind == spec.ChartLocal {
		return Source{Kind: SourceLocal, Chart: gitPath(in.Resolved.Dir, r.Chart), Version: r.Version}, nil
	}
	loc, err := in.Charts.Locate(r.Chart)
	if err != nil {
		return Source{}, fmt.Errorf("chart %s: %w", r.Chart, err)
	}
	src := Source{Kind: SourceRepo, URL: loc.Repository, Chart: loc.Name, Version: r.Version}
	if loc.Source == chart.SourceOCI {
		src.Kind = SourceOCI
		src.Digest = loc.Digest
		if loc.Version != "" {
			src.Version = loc.Version
		}
	}
	if r.ChartKind == spec.ChartRepo {
		src.RepoName, _, _ = strings.Cut(r.Chart, "/")
	}
	pin, err := in.Pins.Pin(ctx, r)
	if err != nil {
		return Source{}, err
	}
	if pin != nil {
		src.Version, src.Locked = pin.Version, true
		if src.Kind == SourceOCI {
			src.Digest = pin.Digest
		}
	}
	return src, nil
}

// gitPath is the chart directory dir/chart relative to the root of the Git work tree that
// holds dir, as ./path, or relative to dir when dir is in no work tree.
func gitPath(dir, chart string) string {
	root := dir
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			root = d
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	rel, err := filepath.Rel(root, chart)
	if err != nil {
		return chart
	}
	return "./" + filepath.ToSlash(rel)
}
