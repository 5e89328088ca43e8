package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"sync"

	"helm.sh/helm/v4/pkg/engine"
	"k8s.io/client-go/rest"
)

// LookupFunc is the templates' lookup function: the object named name (or, with no name, the
// list of them) of kind in apiVersion and namespace, an empty map when there is none.
type LookupFunc = func(apiVersion, kind, namespace, name string) (map[string]any, error)

// ClusterLookup is the lookup function of install and upgrade (Helm's own), which reads the
// cluster of cfg.
func ClusterLookup(cfg *rest.Config) LookupFunc { return engine.NewLookupFunction(cfg) }

// Lookup is one call of the lookup function and a digest of its answer (LookupDigest).
type Lookup struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name,omitempty"`
	Digest     string `json:"digest"`
}

// Lookups records the calls of the lookup function during renders (Options.Lookups). It is
// safe for concurrent use; the zero value is ready.
type Lookups struct {
	mu     sync.Mutex
	calls  []Lookup
	failed bool
}

func (l *Lookups) add(c Lookup, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.failed = true
		return
	}
	for _, seen := range l.calls {
		if seen.APIVersion == c.APIVersion && seen.Kind == c.Kind && seen.Namespace == c.Namespace && seen.Name == c.Name {
			if seen.Digest != c.Digest {
				l.failed = true // the object changed during the render
			}
			return
		}
	}
	l.calls = append(l.calls, c)
}

// Calls returns each distinct call, in the order first made, and whether their answers
// describe the renders: false when a call failed, or when the same call answered differently.
func (l *Lookups) Calls() ([]Lookup, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Lookup{}, l.calls...), !l.failed
}

// recording wraps lookup so that every call lands in l.
func (l *Lookups) recording(lookup LookupFunc) LookupFunc {
	return func(apiVersion, kind, namespace, name string) (map[string]any, error) {
		answer, err := lookup(apiVersion, kind, namespace, name)
		l.add(Lookup{APIVersion: apiVersion, Kind: kind, Namespace: namespace, Name: name, Digest: LookupDigest(answer)}, err)
		return answer, err
	}
}

// LookupDigest is a digest of an answer of the lookup function that leaves out what changes
// when an object is written without changing it: its resourceVersion and managedFields, and
// those of a list and of its items. Templates read the content, which stays in it.
func LookupDigest(answer map[string]any) string {
	stable := withoutVolatile(answer)
	if items, ok := stable["items"].([]any); ok {
		kept := make([]any, len(items))
		for i, it := range items {
			if obj, ok := it.(map[string]any); ok {
				kept[i] = withoutVolatile(obj)
			} else {
				kept[i] = it
			}
		}
		stable["items"] = kept
	}
	b, err := json.Marshal(stable) // maps are written with sorted keys
	if err != nil {
		return "" // matches no recorded digest
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// withoutVolatile is a shallow copy of obj whose metadata lacks resourceVersion,
// managedFields and continue.
func withoutVolatile(obj map[string]any) map[string]any {
	out := maps.Clone(obj)
	if out == nil {
		return map[string]any{}
	}
	if md, ok := out["metadata"].(map[string]any); ok {
		md = maps.Clone(md)
		delete(md, "resourceVersion")
		delete(md, "managedFields")
		delete(md, "continue")
		out["metadata"] = md
	}
	return out
}
