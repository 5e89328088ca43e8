package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"kaji.dev/kaji/internal/release"
)

// Storage reads Helm's release records; namespace "" means every namespace.
type Storage interface {
	Releases(ctx context.Context, namespace string) ([]*rspb.Release, error)
}

// ClusterScope narrows what a cluster import reads.
type ClusterScope struct {
	// Namespaces limits the import to these namespaces; empty reads every namespace.
	Namespaces []string
	// Names limits the import to these release names; empty takes every release.
	Names []string
	// Project is the kaji project imported into: its own releases are imported without
	// adopt, other projects' releases only when named.
	Project string
}

// Skipped is a release an import left out, and why.
type Skipped struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Reason    string `json:"reason"`
}

// ReadCluster finds the deployed Helm releases of a cluster: the latest revision of each, its
// chart and the values the user supplied (what `helm get values` shows, never the merged
// defaults). Releases whose latest revision is not deployed are skipped with the reason.
func ReadCluster(ctx context.Context, st Storage, scope ClusterScope) (*Found, []Skipped, error) {
	var records []*rspb.Release
	if len(scope.Namespaces) == 0 {
		all, err := st.Releases(ctx, metav1.NamespaceAll)
		if err != nil {
			return nil, nil, err
		}
		records = all
	}
	for _, ns := range scope.Namespaces {
		rs, err := st.Releases(ctx, ns)
		if err != nil {
			return nil, nil, err
		}
		records = append(records, rs...)
	}
	latest := latestRevisions(records)

	found := &Found{Kind: KindCluster, Repositories: map[string]string{}}
	var skipped []Skipped
	seen := map[string]string{}
	for _, r := range latest {
		if len(scope.Names) > 0 && !slices.Contains(scope.Names, r.Name) {
			continue
		}
		named := slices.Contains(scope.Names, r.Name)
		if why := skipReason(r, scope.Project, named); why != "" {
			skipped = append(skipped, Skipped{Name: r.Name, Namespace: r.Namespace, Reason: why})
			continue
		}
		if ns, dup := seen[r.Name]; dup {
			skipped = append(skipped, Skipped{Name: r.Name, Namespace: r.Namespace, Reason: fmt.Sprintf(
				"a release of the same name in namespace %s is imported; kaji.yaml holds one release per name: import this one into another kaji.yaml with -n %s",
				ns, r.Namespace)})
			continue
		}
		seen[r.Name] = r.Namespace
		found.Releases = append(found.Releases, fromRecord(r, scope.Project))
	}
	for _, name := range scope.Names {
		if _, ok := seen[name]; !ok && !skippedName(skipped, name) {
			return nil, nil, fmt.Errorf("no helm release named %s%s (helm list -A shows them)", name, inNamespaces(scope.Namespaces))
		}
	}
	return found, skipped, nil
}

// latestRevisions keeps the newest revision of each release, sorted by namespace and name.
func latestRevisions(records []*rspb.Release) []*rspb.Release {
	type key struct{ ns, name string }
	newest := map[key]*rspb.Release{}
	for _, r := range records {
		k := key{r.Namespace, r.Name}
		if have, ok := newest[k]; !ok || r.Version > have.Version {
			newest[k] = r
		}
	}
	out := make([]*rspb.Release, 0, len(newest))
	for _, r := range newest {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *rspb.Release) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

func skipReason(r *rspb.Release, project string, named bool) string {
	if r.Info == nil || r.Chart == nil || r.Chart.Metadata == nil {
		return fmt.Sprintf("revision %d has no chart or status in storage", r.Version)
	}
	if st := r.Info.Status; st != common.StatusDeployed {
		why := fmt.Sprintf("revision %d is %s", r.Version, st)
		if r.Info.Description != "" {
			why += " (" + r.Info.Description + ")"
		}
		switch {
		case st.IsPending():
			return why + ": an operation is running or was interrupted; import it once it is deployed"
		case st == common.StatusUninstalled:
			return why + ": only its history is kept"
		default:
			return why + ": import what it should be once a revision is deployed, or add it to kaji.yaml by hand"
		}
	}
	if owner := r.Labels[release.ProjectLabel]; owner != "" && owner != project && !named {
		return fmt.Sprintf("owned by kaji project %q; name it to import it anyway (it is then adopted)", owner)
	}
	return ""
}

func fromRecord(r *rspb.Release, project string) Release {
	rel := Release{
		Origin: fmt.Sprintf("revision %d on the cluster", r.Version),
		Stored: r.Chart,
	}
	rel.Name, rel.Namespace = r.Name, r.Namespace
	rel.Version = r.Chart.Metadata.Version
	if len(r.Config) > 0 {
		rel.Values = r.Config
	}
	rel.Adopt = r.Labels[release.ProjectLabel] != project
	return rel
}

func skippedName(s []Skipped, name string) bool {
	return slices.ContainsFunc(s, func(x Skipped) bool { return x.Name == name })
}

func inNamespaces(ns []string) string {
	if len(ns) == 0 {
		return ""
	}
	return " in namespace " + strings.Join(ns, ", ")
}
