package projectdoc

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
	sigsyaml "sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/render"
)

// podSpecPaths are where the kinds that run containers keep their pod spec.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

// containerLists are the lists of containers of a pod spec.
var containerLists = []string{"initContainers", "containers", "ephemeralContainers"}

// Images returns the container images that rendered manifests run, sorted, each once: every
// image of the containers, init containers and ephemeral containers of the Pods, Deployments,
// StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs and CronJobs among
// files (templates by path, as render.Renderer.Render returns them), hooks and the items of
// Lists included. A document that does not parse is an error naming its template.
func Images(files map[string]string) ([]string, error) {
	seen := map[string]bool{}
	for _, file := range slices.Sorted(maps.Keys(files)) {
		if render.IsNotes(file) || strings.TrimSpace(files[file]) == "" {
			continue
		}
		docs := releaseutil.SplitManifests(files[file])
		names := slices.Collect(maps.Keys(docs))
		sort.Sort(releaseutil.BySplitManifestsOrder(names))
		for i, key := range names {
			var v any
			if err := sigsyaml.Unmarshal([]byte(docs[key]), &v); err != nil {
				return nil, fmt.Errorf("%s: document %d does not parse: %w", file, i+1, err)
			}
			collectImages(v, seen)
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}

// collectImages adds to seen the images of one object, or of the items of a List.
func collectImages(v any, seen map[string]bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	kind, _ := obj["kind"].(string)
	if items, ok := obj["items"].([]any); ok && strings.HasSuffix(kind, "List") {
		for _, it := range items {
			collectImages(it, seen)
		}
		return
	}
	path, ok := podSpecPaths[kind]
	if !ok {
		return
	}
	var spec any = obj
	for _, k := range path {
		m, ok := spec.(map[string]any)
		if !ok {
			return
		}
		spec = m[k]
	}
	pod, ok := spec.(map[string]any)
	if !ok {
		return
	}
	for _, list := range containerLists {
		cs, _ := pod[list].([]any)
		for _, c := range cs {
			if c, ok := c.(map[string]any); ok {
				if img, ok := c["image"].(string); ok && strings.TrimSpace(img) != "" {
					seen[strings.TrimSpace(img)] = true
				}
			}
		}
	}
}
