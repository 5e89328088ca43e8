package plan

import (
	"context"
	"fmt"
	"slices"
	"strings"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"

	"kaji.dev/kaji/internal/unused"
	"kaji.dev/kaji/internal/upgrade"
)

// DroppedKey is a setting of kaji.yaml that the release's change of chart version drops: the
// deployed version reads it, the new one ignores it.
type DroppedKey struct {
	upgrade.Dropped
	// Accepted says that kaji.yaml (acceptDroppedKeys) or the run (Options.AcceptDroppedKeys)
	// accepts the loss: apply goes ahead.
	Accepted bool
}

// DroppedError is why apply refuses a release: its upgrade drops settings of kaji.yaml that
// nobody accepted.
type DroppedError struct {
	Name, Namespace string
	Dropped         []DroppedKey
}

func (e *DroppedError) Error() string {
	msgs := make([]string, len(e.Dropped))
	keys := make([]string, len(e.Dropped))
	for i, d := range e.Dropped {
		msgs[i], keys[i] = d.Message(), d.Key()
	}
	return fmt.Sprintf("apply refuses to upgrade release %s/%s, which would silently drop settings of kaji.yaml: %s; "+
		"move them to the keys the new chart reads, or accept the loss with kaji apply --accept-dropped-keys or "+
		"acceptDroppedKeys: [%s] on the release in kaji.yaml",
		e.Namespace, e.Name, strings.Join(msgs, "; "), strings.Join(keys, ", "))
}

// Unaccepted returns the dropped settings that nobody accepted.
func (r *Release) Unaccepted() []DroppedKey {
	var out []DroppedKey
	for _, d := range r.Dropped {
		if !d.Accepted {
			out = append(out, d)
		}
	}
	return out
}

// comparer returns the planner's upgrade comparer, made once.
func (p *Planner) comparer() (*upgrade.Comparer, error) {
	p.cmpOnce.Do(func() {
		a, err := unused.New(unused.Options{})
		if err != nil {
			p.cmpErr = err
			return
		}
		p.cmp = &upgrade.Comparer{Analyzer: a}
	})
	return p.cmp, p.cmpErr
}

// checkDropped compares the deployed chart of w, as Helm's storage holds it, with ch when
// the version changes, and records the settings of vals that the upgrade drops. A comparison
// that cannot finish is a warning: the upgrade may still drop settings.
func (p *Planner) checkDropped(ctx context.Context, w *work, ch *chartv2.Chart, vals map[string]any) {
	from := w.hist.deployed
	if from == nil {
		from = w.hist.base()
	}
	if from == nil || w.hist.installable() || from.Chart == nil || from.Chart.Metadata == nil || ch.Metadata == nil {
		return
	}
	if from.Chart.Metadata.Name != ch.Metadata.Name || from.Chart.Metadata.Version == ch.Metadata.Version {
		return
	}
	c, err := p.comparer()
	if err == nil {
		var dropped []upgrade.Dropped
		if dropped, err = c.Compare(ctx, from.Chart, ch, vals); err == nil {
			for _, d := range dropped {
				w.out.Dropped = append(w.out.Dropped, DroppedKey{Dropped: d})
			}
			return
		}
	}
	if ctx.Err() == nil {
		w.out.Warnings = append(w.out.Warnings, fmt.Sprintf(
			"the check for settings that the upgrade from %s %s drops did not finish, so it may drop some unseen: %v",
			from.Chart.Metadata.Name, from.Chart.Metadata.Version, err))
	}
}

// settleDropped marks the dropped settings that are accepted (all, or those the release's
// acceptDroppedKeys names) and refuses a release that would install or upgrade with others.
func settleDropped(w *work, acceptAll bool) {
	r := w.out
	for i := range r.Dropped {
		r.Dropped[i].Accepted = acceptAll || slices.Contains(w.spec.AcceptDroppedKeys, r.Dropped[i].Key())
	}
	left := r.Unaccepted()
	if len(left) == 0 || !r.NeedsApply() && r.Action != ActionRefused {
		return
	}
	keys := make([]string, len(left))
	for i, d := range left {
		keys[i] = d.Key()
	}
	r.Action, r.Revision, r.Hooks = ActionRefused, 0, nil
	r.Reason += fmt.Sprintf("; apply refuses it: the new chart ignores %s, which the deployed chart reads "+
		"(accept with --accept-dropped-keys or acceptDroppedKeys in kaji.yaml)", strings.Join(keys, ", "))
}
