package plan

import (
	"fmt"
	"slices"

	"helm.sh/helm/v4/pkg/release/common"

	"kaji.dev/kaji/internal/lock"
	"kaji.dev/kaji/internal/spec"
)

// newWork starts the planning of r from its history. When its latest revision is pending and
// is one of the flights a stopped run left (recover), the history holds that revision as
// failed, as apply will mark it before it acts; Current still shows it as it is.
func newWork(r spec.ResolvedRelease, h history, recover []lock.Flight) *work {
	w := &work{spec: r, hist: h, out: &Release{Name: r.Name, Namespace: r.Namespace, Current: revisionOf(h.latest), Deployed: revisionOf(h.deployed), Stored: h.stored}}
	if !statusOf(h.latest).IsPending() || !slices.Contains(recover, lock.Flight{Namespace: r.Namespace, Name: r.Name, Revision: h.latest.Version}) {
		return w
	}
	failed := *h.latest
	info := *h.latest.Info
	info.Status = common.StatusFailed
	failed.Info = &info
	w.hist.latest, w.recover = &failed, true
	return w
}

// markRecover says, on a release left pending by a stopped kaji run, that apply recovers it.
func (p *Planner) markRecover(w *work) {
	r := w.out
	if !w.recover || r.Action != ActionUpgrade {
		return
	}
	r.Recover = true
	note := fmt.Sprintf("left %s by a kaji run that stopped (revision %d): apply marks it failed first, as `kaji unlock` would", r.Current.Status, r.Current.Number)
	if r.State == StateFailed {
		r.Reason = note + ", then upgrades it"
		return
	}
	r.Reason = note + "; " + r.Reason
}
