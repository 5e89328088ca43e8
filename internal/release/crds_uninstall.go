package release

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	rspb "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

// WithDeleteCRDs returns a Manager whose uninstalls delete the release's CRDs (and so every
// custom resource of theirs), as kaji destroy --delete-crds does. Without it they are kept:
// those of the chart's crds/, which Helm never deletes, and those of its templates, which
// Helm would delete.
func (m *Manager) WithDeleteCRDs(del bool) *Manager {
	c := *m
	c.opts.DeleteCRDs = del
	return &c
}

// keepTemplateCRDs marks the CRDs among the objects of the release's latest revision with
// helm.sh/resource-policy: keep, in the revision that Helm's uninstall reads, so that it
// leaves them as it leaves every object so marked. It returns their names.
func keepTemplateCRDs(cfg *action.Configuration, last *rspb.Release) ([]string, error) {
	docs := releaseutil.SplitManifests(last.Manifest)
	keys := make([]string, 0, len(docs))
	for k := range docs {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	var names []string
	var b strings.Builder
	for _, k := range keys {
		doc := docs[k]
		if obj, ok := crdOf(doc); ok {
			names = append(names, obj.Metadata.Name)
			if obj.Metadata.Annotations[kube.ResourcePolicyAnno] != kube.KeepPolicy {
				var m map[string]any
				if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
					return nil, fmt.Errorf("CRD %s of revision %d: %w", obj.Metadata.Name, last.Version, err)
				}
				meta, _ := m["metadata"].(map[string]any)
				annos, _ := meta["annotations"].(map[string]any)
				if annos == nil {
					annos = map[string]any{}
				}
				annos[kube.ResourcePolicyAnno] = kube.KeepPolicy
				meta["annotations"] = annos
				out, err := yaml.Marshal(m)
				if err != nil {
					return nil, fmt.Errorf("CRD %s of revision %d: %w", obj.Metadata.Name, last.Version, err)
				}
				doc = string(out)
			}
		}
		fmt.Fprintf(&b, "---\n%s\n", strings.TrimSpace(doc))
	}
	if len(names) == 0 {
		return nil, nil
	}
	last.Manifest = b.String()
	if err := cfg.Releases.Update(last); err != nil {
		return nil, fmt.Errorf("keep the CRDs of release %s: %w", last.Name, err)
	}
	return names, nil
}

// settleChartCRDs deals with the CRDs of the crds/ of the chart of the uninstalled revision,
// which Helm leaves: when the Manager deletes CRDs it deletes those that bear the release's
// marks (those that kaji applied, CRD mode apply), and it reports the others that exist as
// kept: a CRD without marks may be anyone's (installed by hand for crds: skip, or by Helm's
// first install for crds: create).
func (m *Manager) settleChartCRDs(ctx context.Context, last *rspb.Release, res *Result) error {
	if last.Chart == nil {
		return nil
	}
	crds, err := ChartCRDs(last.Chart)
	if err != nil || len(crds) == 0 {
		return err
	}
	dyn, err := dynamic.NewForConfig(m.conn.RESTConfig())
	if err != nil {
		return fmt.Errorf("dynamic client: %w", err)
	}
	client := dyn.Resource(CRDResource)
	owner := CRDOwner{Release: last.Name, Namespace: last.Namespace, Project: m.opts.Project}
	for _, crd := range crds {
		live, err := client.Get(ctx, crd.GetName(), metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return fmt.Errorf("read CRD %s: %w", crd.GetName(), err)
		}
		if !m.opts.DeleteCRDs || !marked(live, owner) {
			res.KeptCRDs = append(res.KeptCRDs, crd.GetName())
			continue
		}
		if err := client.Delete(ctx, crd.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete CRD %s: %w", crd.GetName(), err)
		}
		res.DeletedCRDs = append(res.DeletedCRDs, crd.GetName())
	}
	return nil
}

// marked reports whether the live CRD bears owner's marks (CRDOwner.Stamp).
func marked(live *unstructured.Unstructured, owner CRDOwner) bool {
	annos := live.GetAnnotations()
	return annos[ReleaseNameAnno] == owner.Release && annos[ReleaseNamespaceAnno] == owner.Namespace &&
		ownerError(live, owner) == nil
}
