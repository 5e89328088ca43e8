package plan

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"kaji.dev/kaji/internal/release"
	"kaji.dev/kaji/internal/spec"
)

// orphans finds the releases labeled as the project's that kaji.yaml no longer declares, in
// rels: the result of one cluster-wide list (Storage.ProjectReleases), or its error. When that
// list failed, it looks only in the namespaces already read, and says so in the returned
// warning.
func (p *Planner) orphans(res *spec.Resolved, rels []*rspb.Release, err error, known map[releaseKey]history) ([]Release, string) {
	var warning string
	found := map[releaseKey]history{}
	if err != nil {
		namespaces := map[string]bool{}
		for k := range known {
			namespaces[k.namespace] = true
		}
		why := "failed"
		if apierrors.IsForbidden(err) {
			why = "is forbidden"
		}
		warning = fmt.Sprintf("listing helm releases in all namespaces %s, so orphans were looked for only in namespaces %s: %v",
			why, strings.Join(slices.Sorted(maps.Keys(namespaces)), ", "), err)
		found = known
	}
	for _, r := range rels {
		k := releaseKey{r.Namespace, r.Name}
		h := found[k]
		h.add(r)
		found[k] = h
	}
	declared := map[releaseKey]bool{}
	for _, r := range res.Releases {
		declared[releaseKey{r.Namespace, r.Name}] = true
	}
	disabled := map[releaseKey]string{}
	for _, r := range res.Disabled {
		disabled[releaseKey{r.Namespace, r.Name}] = r.Reason
	}
	var out []Release
	for _, k := range slices.SortedFunc(maps.Keys(found), func(a, b releaseKey) int {
		return strings.Compare(a.namespace+"/"+a.name, b.namespace+"/"+b.name)
	}) {
		latest := found[k].latest
		if declared[k] || latest.Labels[release.ProjectLabel] != res.Project || statusOf(latest) == common.StatusUninstalled {
			continue
		}
		out = append(out, Release{
			Name: k.name, Namespace: k.namespace, State: StateOrphan, Action: ActionNone,
			Reason: orphanReason(latest, disabled[k]), Current: revisionOf(latest), Deployed: revisionOf(found[k].deployed),
		})
	}
	return out, warning
}

// confirmOrphans keeps the orphans whose latest revision, among all of the release's
// revisions, is still the project's, and describes their current and deployed revisions from
// that read. The list of the project's revisions holds only those labeled with it, and only
// their labels: a release that another project (or helm) upgraded since has later revisions
// without the label, and is no longer this project's to report or prune. It costs one
// request, and none when there are no orphans.
func (p *Planner) confirmOrphans(ctx context.Context, project string, orphans []Release) ([]Release, error) {
	if len(orphans) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(orphans))
	for _, o := range orphans {
		if !slices.Contains(names, o.Name) {
			names = append(names, o.Name)
		}
	}
	rels, err := p.Storage.NamedReleases(ctx, names)
	if err != nil {
		return nil, fmt.Errorf("read the history of orphans %s: %w", strings.Join(names, ", "), err)
	}
	all := map[releaseKey]history{}
	for _, r := range rels {
		k := releaseKey{r.Namespace, r.Name}
		h := all[k]
		h.add(r)
		all[k] = h
	}
	out := orphans[:0]
	for _, o := range orphans {
		h := all[releaseKey{o.Namespace, o.Name}]
		if h.latest == nil {
			out = append(out, o) // gone since: as the project's list saw it
			continue
		}
		if h.latest.Labels[release.ProjectLabel] == project && statusOf(h.latest) != common.StatusUninstalled {
			o.Current, o.Deployed = revisionOf(h.latest), revisionOf(h.deployed)
			out = append(out, o)
		}
	}
	return out, nil
}
