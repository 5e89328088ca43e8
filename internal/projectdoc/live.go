package projectdoc

import (
	"context"

	rspb "helm.sh/helm/v4/pkg/release/v1"
)

// Storage reads Helm's release storage of a cluster, as release.Manager does.
type Storage interface {
	// Get returns the latest revision of a release, or nil when there is none.
	Get(ctx context.Context, name, namespace string) (*rspb.Release, error)
}

// Live fills in the latest revision of each release of env from st; a release that Helm's
// storage does not hold keeps a nil Deployed.
func Live(ctx context.Context, env *Environment, st Storage) error {
	for i := range env.Releases {
		r := &env.Releases[i]
		got, err := st.Get(ctx, r.Name, r.Namespace)
		if err != nil {
			return err
		}
		if got == nil {
			continue
		}
		rev := &Revision{Number: got.Version}
		if got.Info != nil {
			rev.Status = string(got.Info.Status)
			rev.Updated = got.Info.LastDeployed.UTC()
		}
		if got.Chart != nil && got.Chart.Metadata != nil {
			rev.Chart, rev.Version = got.Chart.Metadata.Name, got.Chart.Metadata.Version
		}
		r.Deployed = rev
	}
	return nil
}
