package release_test

import (
	"testing"

	rspb "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// storeRelease writes a release record through Helm's own storage, as an interrupted Helm
// operation would have left it.
func storeRelease(t *testing.T, ns string, r *rspb.Release) error {
	t.Helper()
	return storage.Init(driver.NewSecrets(env.Client.CoreV1().Secrets(ns))).Create(r)
}
