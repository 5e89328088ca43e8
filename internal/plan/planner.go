package plan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"

	"kaji.dev/kaji/internal/cluster"
	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/upgrade"
	"kaji.dev/kaji/internal/values"
)

// StateUnknown is the state of a release that could not be planned (see Release.Err) and
// whose history alone does not decide its state.
const StateUnknown State = "unknown"

// DefaultParallel bounds how many charts are rendered at once.
const DefaultParallel = 8

// DefaultRequests bounds how many of a plan's lists and dry runs are in flight at once. They
// wait on the network and the API server rather than on this machine's cores: a plan of 100
// new releases makes hundreds of them, which took 3.6 s at 20 ms of round trip 8 at a time
// and 1.9 s 32 at a time. The API server's flow control queues them when it is busy.
const DefaultRequests = 32

// Charts finds and loads the chart of a release.
type Charts interface {
	Chart(ctx context.Context, r spec.ResolvedRelease) (*chartv2.Chart, error)
}

// Planner computes plans. Its fields are the clients it works through.
type Planner struct {
	Charts Charts
	// Values gives each release's values; nil merges the layers as they are written
	// (values.Files).
	Values    values.Source
	Storage   Storage
	Discovery Discovery
	Objects   Objects
	// Lookup lets the templates' lookup function read the cluster, as install and upgrade
	// do. Nil makes lookup return nothing.
	Lookup *rest.Config
	// Locks reads the project lock; nil leaves it unread.
	Locks Locks
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Sensitive reports whether a piece of text holds one of the run's secrets (in any form
	// it takes in an object: as it is, base64-encoded...). A saved plan's digest of a live
	// object that does is taken of its resourceVersion, not its content. Nil finds none.
	Sensitive func(string) bool

	cmpOnce sync.Once
	cmp     *upgrade.Comparer
	cmpErr  error

	// prefetched are the reads that Prefetch started, for the next Plan; mu guards them.
	mu         sync.Mutex
	prefetched *reads
}

// Locks reads the project lock that apply takes while it runs.
type Locks interface {
	// Holder returns who holds project's lock, or nil.
	Holder(ctx context.Context, project string) (*lock.Holder, error)
}

// ForCluster returns a Planner for the cluster of conn that loads charts with charts.
func ForCluster(conn *cluster.Conn, charts Charts) (*Planner, error) {
	k, err := NewKube(conn)
	if err != nil {
		return nil, err
	}
	return &Planner{Charts: charts, Storage: k, Discovery: k, Objects: k, Lookup: conn.RESTConfig()}, nil
}

// Options change what a plan covers.
type Options struct {
	// Scope says how the command line picked Releases, for the plan to say (Plan.Scope).
	Scope Scope
	// Releases limits the plan to the releases of these names; orphans are then not looked
	// for. A name that kaji.yaml does not declare, or that the environment leaves out, is an
	// *UnknownReleaseError.
	Releases []string
	// SkipDiff leaves out the server-side dry runs: states, drift and which objects change
	// are still computed, but not what the API server would make of them. kaji status uses it.
	SkipDiff bool
	// Ignore lists the fields that never count as changes or drift. Nil means DefaultIgnore.
	Ignore []FieldPath
	// Parallel bounds concurrent renders. Zero means DefaultParallel.
	Parallel int
	// Requests bounds concurrent lists and dry runs. Zero means DefaultRequests.
	Requests int
	// Prune plans to uninstall orphans: releases labeled with the project that kaji.yaml no
	// longer declares. Without it orphans are only reported.
	Prune bool
	// Adopt lets apply take over a declared release that kaji did not make for this project:
	// one that helm made (no kaji.dev/project label) or that another kaji project owns; a
	// release's adopt: true does the same for that release. Without either, such a release is
	// planned as unmanaged and apply leaves it alone. One in sync with kaji.yaml is adopted
	// without a new revision (ActionAdopt); any other is upgraded.
	Adopt bool
	// ForceConflicts takes every field that other field managers own, as kaji apply
	// --force-conflicts does. Without it, a release whose dry runs conflict with a manager
	// other than kubectl is refused (ActionRefused), unless its forceConflicts is set.
	ForceConflicts bool
	// ForceCRDs plans to apply the CRDs of charts' crds/ even when release.CheckCRD refuses
	// them, as kaji apply --force-crds does.
	ForceCRDs bool
	// AcceptDroppedKeys accepts every setting of kaji.yaml that a change of chart version
	// drops, as kaji apply --accept-dropped-keys does. Without it, a release whose upgrade
	// drops a setting that its acceptDroppedKeys does not name is refused (ActionRefused).
	AcceptDroppedKeys bool
	// Fingerprint records in each release what its plan was computed from
	// (Release.Fingerprint), for a saved plan: digests of the chart and values, and of the
	// live objects compared.
	Fingerprint bool
	// Recover are the flights that the previous holder of the project lock left (see
	// lock.Lock.Left): a release whose latest revision is pending and is one of them is that
	// run's own unfinished operation. It is planned as if the revision had failed, with
	// Release.Recover set. Only a run that holds the lock may pass them.
	Recover []lock.Flight
}

// work is one declared release on its way through the planner.
type work struct {
	spec spec.ResolvedRelease
	hist history
	out  *Release
	// desired are the objects apply would write, base those of the revision it upgrades
	// from (which say what it deletes), both placed in their namespaces.
	desired, base []object
	// crds are the objects of the chart's crds/ directory.
	crds []object
	// crdPlan is what apply does to them in CRD mode apply (assessCRDs).
	crdPlan []crdChange
	cmp     comparison
	// recover is set when the pending latest revision is a flight of a run that stopped: hist
	// then holds it as failed, and out.Current as it is.
	recover bool
	// arrivals knows the kinds that the plan's CRDs bring (shared by every work of a plan).
	arrivals *arrivals
	// rendered says that the chart was rendered: not for a release that Helm will not touch.
	rendered bool
	// adopt says that apply may take the release over when it is not the project's
	// (Options.Adopt, or the release's adopt).
	adopt bool
	// ignore are the fields that never count as changes (Options.Ignore).
	ignore []FieldPath
	// digest is desiredDigest of the chart and values, once computed (desired).
	digest string
	// text is the chart's text and the values', searched once (chartText).
	text []byte
	// callsLookup says that text mentions lookup (callsLookup).
	callsLookup bool
	// stored says that the latest revision's manifest was taken instead of a render
	// (storedIsRendered).
	stored bool
}

// Plan computes what apply would do to the releases of res. It returns an error only when it
// cannot plan at all (Helm's storage or discovery unreadable, unknown release names); errors
// of single releases and objects are in the plan (see Plan.Err).
func (p *Planner) Plan(ctx context.Context, res *spec.Resolved, opts Options) (*Plan, error) {
	selected, err := selectReleases(res, opts.Releases)
	if err != nil {
		return nil, err
	}
	if opts.Ignore == nil {
		opts.Ignore = DefaultIgnore()
	}
	opts.Parallel, opts.Requests = parallelOf(opts), requestsOf(opts)
	plan := &Plan{Project: res.Project, Environment: res.Environment, Time: p.now(), Scope: opts.Scope}

	wantOrphans := len(opts.Releases) == 0
	first := p.reads(ctx, res.Project, selected, wantOrphans, opts.Requests)
	if err := errors.Join(first.storageErr, first.capsErr); err != nil {
		return nil, err
	}
	histories, caps, project, projectErr := first.histories, first.caps, first.project, first.projectErr
	plan.Lock = first.lock
	if first.lockErr != nil {
		plan.Warnings = append(plan.Warnings, fmt.Sprintf("the project lock was not read: %v", first.lockErr))
	}

	works := make([]*work, len(selected))
	for i, r := range selected {
		works[i] = newWork(r, histories[releaseKey{r.Namespace, r.Name}], opts.Recover)
		works[i].adopt = opts.Adopt || r.Adopt
		works[i].ignore = opts.Ignore
	}
	namespaces := p.checkNamespaces(ctx, works)
	parallel(len(works), opts.Parallel, func(i int) { p.prepare(ctx, works[i], caps) })
	arrived := p.renderArrivals(ctx, res, works, caps, opts.Parallel)
	for _, w := range works {
		w.arrivals = arrived
	}

	live := p.fetchLive(ctx, works, namespaces.absent(works), opts.Requests)
	// Each release is assessed on its own: it reads the live objects, and writes only to w.
	parallel(len(works), opts.Parallel, func(i int) {
		w := works[i]
		w.assessCRDs(live, res.Project, opts.Ignore, opts.ForceCRDs)
		p.assess(w, live, res.Project, opts.Ignore)
		w.noteIgnoredLive(live)
		crdWarnings(w, live, opts.Ignore)
	})
	p.planChanges(ctx, works, live, opts)
	if opts.Fingerprint {
		fp := fingerprinter{masked: p.maskedValues, caps: caps, sensitive: p.Sensitive, ignore: opts.Ignore}
		for _, w := range works {
			w.fingerprint(live, fp)
		}
	}

	for _, w := range works {
		settleDropped(w, opts.AcceptDroppedKeys)
		if w.out.State == StateUnmanaged && !w.adopt {
			// The changes stay: they show what adopting it would do.
			w.out.Action, w.out.Revision, w.out.Hooks, w.out.ForceConflicts = ActionBlocked, 0, nil, false
		}
		if w.out.State == StatePending && plan.Lock != nil && !plan.Lock.Expired {
			w.out.Reason += fmt.Sprintf("; the project lock is held by %s, which may be working on it", plan.Lock)
		}
		w.out.RecordLookups = w.lookupsToRecord()
		plan.Releases = append(plan.Releases, *w.out)
	}
	if wantOrphans {
		orphans, warning := p.orphans(res, project, projectErr, histories)
		if projectErr == nil {
			// Without the cluster-wide list, orphans come from whole per-namespace histories.
			var err error
			if orphans, err = p.confirmOrphans(ctx, res.Project, orphans); err != nil {
				return nil, err
			}
		}
		if opts.Prune {
			for i := range orphans {
				orphans[i].Action = ActionUninstall
				orphans[i].Reason += "; --prune uninstalls it"
			}
		}
		plan.Releases = append(plan.Releases, orphans...)
		if warning != "" {
			plan.Warnings = append(plan.Warnings, warning)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return plan, nil
}

func (p *Planner) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// releaseKey names a release: Helm's storage is per namespace.
type releaseKey struct{ namespace, name string }

// readStorage reads the release records of rs: with one list across namespaces when they
// span several (its cost does not grow with namespaces), else, or when listing Secrets in
// every namespace is forbidden, with one list per namespace.
func (p *Planner) readStorage(ctx context.Context, rs []spec.ResolvedRelease, par int) (map[releaseKey]history, error) {
	namespaces := namespacesOf(rs)
	var rels []*rspb.Release
	var err error
	if len(namespaces) > 1 {
		names := make([]string, 0, len(rs))
		for _, r := range rs {
			if !slices.Contains(names, r.Name) {
				names = append(names, r.Name)
			}
		}
		rels, err = p.Storage.NamedReleases(ctx, names)
	}
	if len(namespaces) <= 1 || apierrors.IsForbidden(err) {
		rels, err = p.perNamespace(ctx, namespaces, par)
	}
	if err != nil {
		return nil, err
	}
	wanted := map[string]bool{}
	for _, ns := range namespaces {
		wanted[ns] = true
	}
	out := map[releaseKey]history{}
	for _, r := range rels {
		if !wanted[r.Namespace] {
			continue // a release of the same name in a namespace kaji.yaml does not use
		}
		k := releaseKey{r.Namespace, r.Name}
		h := out[k]
		h.add(r)
		out[k] = h
	}
	return out, nil
}

// perNamespace reads every release record of each namespace, one list each.
func (p *Planner) perNamespace(ctx context.Context, namespaces []string, par int) ([]*rspb.Release, error) {
	results := make([][]*rspb.Release, len(namespaces))
	errs := make([]error, len(namespaces))
	parallel(len(namespaces), par, func(i int) {
		results[i], errs[i] = p.Storage.Releases(ctx, namespaces[i])
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return slices.Concat(results...), nil
}

func namespacesOf(rs []spec.ResolvedRelease) []string {
	var out []string
	for _, r := range rs {
		if !slices.Contains(out, r.Namespace) {
			out = append(out, r.Namespace)
		}
	}
	slices.Sort(out)
	return out
}

// parallel runs fn(0..n-1) with at most par at once.
func parallel(n, par int, fn func(i int)) {
	sem := make(chan struct{}, max(par, 1))
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}
