package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"kaji.dev/kaji/internal/chart"
	"kaji.dev/kaji/internal/render"
	"kaji.dev/kaji/internal/spec"
	"kaji.dev/kaji/internal/values"
)

// Object is one Kubernetes object a release's chart renders.
type Object struct {
	APIVersion string
	Kind       string
	// Namespace is the object's own metadata.namespace; empty means the release's.
	Namespace string
	Name      string
}

// ObjectLister lists the objects a release would apply.
type ObjectLister interface {
	Objects(ctx context.Context, r spec.ResolvedRelease) ([]Object, error)
}

// releaseObjects is what one release renders, or why it could not be rendered.
type releaseObjects struct {
	Release spec.ResolvedRelease
	Objects []Object
	Err     error
}

// releaseObjects renders every release once.
func (s *State) releaseObjects(ctx context.Context) []releaseObjects {
	s.objOnce.Do(func() {
		for _, r := range s.Target.Resolved.Releases {
			objs, err := s.objects.Objects(ctx, r)
			s.objs = append(s.objs, releaseObjects{Release: r, Objects: objs, Err: err})
		}
	})
	return s.objs
}

// renderedObjects renders charts in process, as `helm template` would, to learn their kinds.
// Rendering need not be deterministic: only apiVersion, kind and namespace are read.
type renderedObjects struct {
	loader *chart.Loader
}

func newRenderedObjects(res *spec.Resolved) *renderedObjects {
	return &renderedObjects{loader: chart.NewLoader(chart.Options{Repositories: res.Repositories})}
}

func (o *renderedObjects) Objects(ctx context.Context, r spec.ResolvedRelease) ([]Object, error) {
	loaded, err := o.loader.Load(ctx, r.Chart, r.Version)
	if err != nil {
		return nil, err
	}
	vals, err := values.Merge(r.Values)
	if err != nil {
		return nil, err
	}
	rd, err := render.New(render.Options{ReleaseName: r.Name, Namespace: r.Namespace, CacheSize: -1})
	if err != nil {
		return nil, err
	}
	files, err := rd.Render(ctx, loaded.Chart, vals)
	if err != nil {
		return nil, err
	}
	return objectsOf(loaded.Chart, files)
}

// objectsOf reads the objects of rendered templates and the chart's CRDs.
func objectsOf(ch *chartv2.Chart, files map[string]string) ([]Object, error) {
	var out []Object
	for _, crd := range ch.CRDObjects() {
		objs, err := decodeObjects(string(crd.File.Data))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", crd.Filename, err)
		}
		out = append(out, objs...)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if render.IsNotes(name) || strings.TrimSpace(files[name]) == "" {
			continue
		}
		objs, err := decodeObjects(files[name])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

func decodeObjects(text string) ([]Object, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096)
	var out []Object
	for {
		var doc struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if doc.Kind == "" {
			continue
		}
		out = append(out, Object{APIVersion: doc.APIVersion, Kind: doc.Kind, Namespace: doc.Metadata.Namespace, Name: doc.Metadata.Name})
	}
}
