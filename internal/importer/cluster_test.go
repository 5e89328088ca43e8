package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/release/common"
	rspb "helm.sh/helm/v4/pkg/release/v1"

	"kaji.dev/kaji/internal/release"
)

// records is Helm storage as a list of release records; a namespace of "" lists them all.
type records []*rspb.Release

func (rs records) Releases(_ context.Context, ns string) ([]*rspb.Release, error) {
	var out []*rspb.Release
	for _, r := range rs {
		if ns == "" || r.Namespace == ns {
			out = append(out, r)
		}
	}
	return out, nil
}

func record(ns, name string, version int, status common.Status, owner string) *rspb.Release {
	r := &rspb.Release{Name: name, Namespace: ns, Version: version,
		Info:   &rspb.Info{Status: status},
		Chart:  &chartv2.Chart{Metadata: &chartv2.Metadata{Name: "chart-" + name, Version: "1.0." + fmt.Sprint(version)}},
		Config: map[string]any{"revision": float64(version)},
	}
	if owner != "" {
		r.Labels = map[string]string{release.ProjectLabel: owner}
	}
	return r
}

func TestReadCluster(t *testing.T) {
	var store records
	// Twelve revisions: the latest is 12, whatever order storage lists them in.
	for v := 12; v >= 1; v-- {
		st := common.StatusSuperseded
		if v == 12 {
			st = common.StatusDeployed
		}
		store = append(store, record("apps", "web", v, st, ""))
	}
	store = append(store,
		record("apps", "broken", 2, common.StatusFailed, ""),
		record("apps", "busy", 3, common.StatusPendingUpgrade, ""),
		record("apps", "theirs", 1, common.StatusDeployed, "other"),
		record("apps", "ours", 4, common.StatusDeployed, "shop"),
		record("ops", "web", 1, common.StatusDeployed, ""),
	)
	found, skipped, err := ReadCluster(context.Background(), store, ClusterScope{Project: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range found.Releases {
		got = append(got, fmt.Sprintf("%s/%s %s %s adopt=%v values=%v", r.Namespace, r.Name, r.Version, r.Origin, r.Adopt, r.Values))
	}
	want := []string{
		"apps/ours 1.0.4 revision 4 on the cluster adopt=false values=map[revision:4]",
		"apps/web 1.0.12 revision 12 on the cluster adopt=true values=map[revision:12]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	reasons := map[string]string{}
	for _, s := range skipped {
		reasons[s.Namespace+"/"+s.Name] = s.Reason
	}
	for key, part := range map[string]string{
		"apps/broken": "revision 2 is failed",
		"apps/busy":   "revision 3 is pending-upgrade: an operation is running",
		"apps/theirs": `owned by kaji project "other"; name it to import it anyway`,
		"ops/web":     "a release of the same name in namespace apps is imported",
	} {
		if !strings.Contains(reasons[key], part) {
			t.Errorf("%s skipped for %q, want it to say %q", key, reasons[key], part)
		}
	}

	// Named, another project's release is imported, and adopted.
	found, _, err = ReadCluster(context.Background(), store, ClusterScope{Project: "shop", Names: []string{"theirs"}})
	if err != nil || len(found.Releases) != 1 || !found.Releases[0].Adopt {
		t.Errorf("named release of another project: %+v, %v", found, err)
	}
	// Narrowed to a namespace, the other web is found.
	found, _, err = ReadCluster(context.Background(), store, ClusterScope{Project: "shop", Namespaces: []string{"ops"}})
	if err != nil || len(found.Releases) != 1 || found.Releases[0].Namespace != "ops" {
		t.Errorf("-n ops: %+v, %v", found, err)
	}
	// A name that is not there is an error that says how to list them.
	if _, _, err = ReadCluster(context.Background(), store, ClusterScope{Names: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "helm list -A") {
		t.Errorf("unknown name: %v", err)
	}
}
