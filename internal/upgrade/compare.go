package upgrade

import (
	"context"
	"fmt"
	"slices"
	"strings"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/unused"
)

// Dropped is a setting that stops working: a key the user sets that the chart From reads and
// the chart To ignores.
type Dropped struct {
	// Path is the key, as segments; Leaves are the leaf paths the user set below it (or Path
	// itself) that From reads.
	Path   []string
	Leaves [][]string
	// Kind says how To ignores the key: it does not know it (unknown-key) or other values turn
	// it off (no-effect).
	Kind unused.Kind
	// From and To are the chart versions, such as 18.4.0 and 19.0.0.
	From, To string
	// Suggestion is, for a key To does not know, the key of To most likely meant instead; nil
	// when none is close enough.
	Suggestion []string
	// Gate is, for a key without effect in To, the key whose value turns it off there.
	Gate []string
}

// Message says what stops working, lowercase, on one line.
func (d Dropped) Message() string {
	msg := fmt.Sprintf("%s stops working in %s (it worked in %s): ", unused.PathString(d.Path), d.To, d.From)
	switch {
	case d.Kind == unused.NoEffect && d.Gate != nil:
		msg += fmt.Sprintf("in the new chart %s turns it off", unused.PathString(d.Gate))
	case d.Kind == unused.NoEffect:
		msg += "the new chart ignores it with the other values as they are"
	case d.Suggestion != nil:
		msg += fmt.Sprintf("the new chart does not use this key (the closest key it reads is %s)", unused.PathString(d.Suggestion))
	default:
		msg += "the new chart does not use this key, and has no close key; see the chart's upgrade notes"
	}
	return msg
}

// Key is the key as people write it: its segments joined with dots.
func (d Dropped) Key() string { return unused.PathString(d.Path) }

// Comparer compares what two versions of a chart make of the same values.
type Comparer struct {
	// Analyzer runs the unused-key analysis; share one per process, it remembers charts.
	Analyzer *unused.Analyzer
}

// Compare returns the keys of vals (the user's merged values, without chart defaults) that
// from reads and to ignores, sorted by path. It analyses to first, and from only for the keys
// to ignores, so a release whose settings all still work costs one analysis.
func (c *Comparer) Compare(ctx context.Context, from, to *chartv2.Chart, vals map[string]any) ([]Dropped, error) {
	leaves := unused.Leaves(vals)
	ignored, err := c.Analyzer.Analyze(ctx, to, vals, leaves)
	if err != nil {
		return nil, fmt.Errorf("analyse chart %s with the values of kaji.yaml: %w", describe(to), err)
	}
	if len(ignored) == 0 {
		return nil, nil
	}
	var suspects [][]string
	for _, f := range ignored {
		suspects = append(suspects, f.Leaves...)
	}
	before, err := c.Analyzer.Analyze(ctx, from, vals, suspects)
	if err != nil {
		return nil, fmt.Errorf("analyse the deployed chart %s with the values of kaji.yaml: %w", describe(from), err)
	}
	ignoredBefore := map[string]bool{}
	for _, f := range before {
		for _, l := range f.Leaves {
			ignoredBefore[key(l)] = true
		}
	}
	var out []Dropped
	for _, f := range ignored {
		var read [][]string
		for _, l := range f.Leaves {
			if !ignoredBefore[key(l)] {
				read = append(read, l)
			}
		}
		if len(read) == 0 {
			continue // it did nothing before either
		}
		out = append(out, Dropped{
			Path: f.Path, Leaves: read, Kind: f.Kind, From: version(from), To: version(to),
			Suggestion: f.Suggestion, Gate: f.Gate,
		})
	}
	slices.SortFunc(out, func(a, b Dropped) int { return slices.Compare(a.Path, b.Path) })
	return out, nil
}

func key(p []string) string { return strings.Join(p, "\x00") }

func version(ch *chartv2.Chart) string {
	if ch == nil || ch.Metadata == nil {
		return ""
	}
	return ch.Metadata.Version
}

func describe(ch *chartv2.Chart) string {
	if ch == nil || ch.Metadata == nil {
		return "(unnamed)"
	}
	return ch.Metadata.Name + " " + ch.Metadata.Version
}
