package release

import (
	"fmt"
	"strings"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	"sigs.k8s.io/yaml"
)

// arriveCRDs makes the CRDs that an operation installed usable by the operations after it, in
// this run: it waits until the CRDs of the release's templates are established (helm waits
// for those of crds/ itself, and for the templates only with wait), then refreshes the
// connection's discovery, REST mapper and capabilities, which the run shares and which knew
// nothing of the new kinds. fromDir says that the operation put the CRDs of the chart's crds/
// in the cluster (CRD mode apply, or create on an install). A release without CRDs costs
// nothing.
func (m *Manager) arriveCRDs(cfg *action.Configuration, rel *rspb.Release, fromDir bool, timeout time.Duration) error {
	templated := crdDocuments(rel.Manifest)
	if len(templated) == 0 && !fromDir {
		return nil
	}
	if len(templated) > 0 {
		resources, err := cfg.KubeClient.Build(strings.NewReader(strings.Join(templated, "\n---\n")), false)
		if err != nil {
			return fmt.Errorf("read the CRDs of release %s/%s: %w", rel.Namespace, rel.Name, err)
		}
		waiter, err := cfg.KubeClient.GetWaiter(kube.StatusWatcherStrategy)
		if err != nil {
			return fmt.Errorf("wait for the CRDs of release %s/%s: %w", rel.Namespace, rel.Name, err)
		}
		if err := waiter.Wait(resources, timeout); err != nil {
			return fmt.Errorf("the CRDs of release %s/%s are not established, so releases that use their kinds would fail: %w (check them with kubectl get crd, then apply again)", rel.Namespace, rel.Name, err)
		}
	}
	m.conn.Refresh()
	return nil
}

// crdDocuments returns the documents of a release manifest that are CustomResourceDefinitions.
func crdDocuments(manifest string) []string {
	var out []string
	for _, doc := range releaseutil.SplitManifests(manifest) {
		if _, ok := crdOf(doc); ok {
			out = append(out, doc)
		}
	}
	return out
}

// crdHead is what tells a manifest document that is a CustomResourceDefinition.
type crdHead struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

// crdOf reads the head of a manifest document; ok says that it is a CRD. A document that does
// not parse is none: helm parsed each document to apply it, so such a one was not applied.
func crdOf(doc string) (head crdHead, ok bool) {
	if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
		return head, false
	}
	return head, head.Kind == "CustomResourceDefinition" && strings.HasPrefix(head.APIVersion, CRDResource.Group+"/")
}
