package plan

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"helm.sh/helm/v4/pkg/chart/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/spec"
)

// reads are the requests a plan makes first, which need nothing but kaji.yaml: the histories
// of the selected releases, the cluster's capabilities, the project's revisions (to find
// orphans) and the project lock. They go at once: one round trip to a remote API server.
type reads struct {
	// key says what they were read for (readsKey); done is closed once they are all in.
	key  string
	done chan struct{}

	histories  map[releaseKey]history
	storageErr error
	caps       *common.Capabilities
	capsErr    error
	project    []*rspb.Release
	projectErr error
	lock       *lock.Holder
	lockErr    error
}

// readsKey names what a plan of the releases selected reads: their names and namespaces,
// whether it looks for orphans, and the project.
func readsKey(project string, selected []spec.ResolvedRelease, orphans bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\x00%t", project, orphans)
	for _, r := range selected {
		fmt.Fprintf(&b, "\x00%s/%s", r.Namespace, r.Name)
	}
	return b.String()
}

// Prefetch starts the first requests of a plan of res with opts, and returns at once: a
// command runs its checks of kaji.yaml meanwhile (validation, which needs no request), and
// the Plan that follows with the same res and opts takes what was read. It plans nothing and
// reports nothing; a Plan of other releases, or one whose reads ctx cut short, reads anew.
func (p *Planner) Prefetch(ctx context.Context, res *spec.Resolved, opts Options) {
	selected, err := selectReleases(res, opts.Releases)
	if err != nil {
		return // Plan says why
	}
	r := p.startReads(ctx, res.Project, selected, len(opts.Releases) == 0, requestsOf(opts))
	p.mu.Lock()
	p.prefetched = r
	p.mu.Unlock()
}

// reads returns the first reads of a plan: those that Prefetch started for the same
// releases, or new ones.
func (p *Planner) reads(ctx context.Context, project string, selected []spec.ResolvedRelease, orphans bool, par int) *reads {
	p.mu.Lock()
	r := p.prefetched
	p.prefetched = nil
	p.mu.Unlock()
	if r != nil && r.key == readsKey(project, selected, orphans) {
		<-r.done
		if ctx.Err() == nil && !canceled(r) {
			return r
		}
	}
	r = p.startReads(ctx, project, selected, orphans, par)
	<-r.done
	return r
}

// canceled says that one of r's reads ended with its context: a prefetch whose command went
// on to something else.
func canceled(r *reads) bool {
	for _, err := range []error{r.storageErr, r.capsErr, r.projectErr, r.lockErr} {
		if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return true
		}
	}
	return false
}

func (p *Planner) startReads(ctx context.Context, project string, selected []spec.ResolvedRelease, orphans bool, par int) *reads {
	r := &reads{key: readsKey(project, selected, orphans), done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() { r.histories, r.storageErr = p.readStorage(ctx, selected, par) })
	wg.Go(func() { r.caps, r.capsErr = p.Discovery.Capabilities(ctx) })
	if orphans {
		wg.Go(func() { r.project, r.projectErr = p.Storage.ProjectReleases(ctx, project) })
	}
	if p.Locks != nil {
		wg.Go(func() { r.lock, r.lockErr = p.Locks.Holder(ctx, project) })
	}
	go func() {
		wg.Wait()
		close(r.done)
	}()
	return r
}

// requestsOf is opts.Requests, or DefaultRequests when it is not set.
func requestsOf(opts Options) int {
	if opts.Requests <= 0 {
		return DefaultRequests
	}
	return opts.Requests
}

// parallelOf is opts.Parallel, or DefaultParallel when it is not set.
func parallelOf(opts Options) int {
	if opts.Parallel <= 0 {
		return DefaultParallel
	}
	return opts.Parallel
}
