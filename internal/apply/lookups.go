package apply

import (
	"context"
	"sync"

	"kaji.dev/kaji/internal/plan"
)

// lookupRecorder is what records the lookups of a release found in sync on its latest
// revision; *release.Manager is one.
type lookupRecorder interface {
	RecordLookups(ctx context.Context, name, namespace string, revision int, inputs, lookups string) error
}

// recordLookups records, on their latest revision, the lookups of the releases that the plan
// rendered and found in sync (plan.Release.RecordLookups), so that later plans take their
// manifest without rendering. It is done only in a run that applies something anyway, and
// only as long as the run holds the lock. It is best effort: a failure only leaves the next
// plan rendering the release, as this one did.
func (rn *Runner) recordLookups(ctx context.Context, pl *plan.Plan) {
	rec, ok := rn.Releases.(lookupRecorder)
	if !ok {
		return
	}
	limit := rn.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, r := range pl.Releases {
		if !r.RecordLookups || r.Current == nil {
			continue
		}
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			select {
			case <-rn.Halt:
				return // the lock is lost: write nothing more
			default:
			}
			_ = rec.RecordLookups(ctx, r.Name, r.Namespace, r.Current.Number, plan.InputsLabel(r.Inputs, r.Current.Number), r.Lookups)
		})
	}
	wg.Wait()
}
