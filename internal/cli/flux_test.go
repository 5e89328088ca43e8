package cli_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	rspb "helm.sh/helm/v4/pkg/release/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	"kaji.dev/kaji/internal/chart/charttest"
	"kaji.dev/kaji/internal/testenv/fluxenv"
)

// The hand-over of docs/gitops.md, on real Flux controllers: kaji applies a project from an
// https chart repository, `kaji export flux` writes its HelmReleases, kubectl applies them,
// and Flux's source-controller and helm-controller take the releases over.

// fluxReleases are the releases of the hand-over project, in needs order.
var fluxReleases = []string{"settings", "api", "web"}

// fluxWorld is a project that kaji applied, exported to Flux and handed over.
type fluxWorld struct {
	bin    string // kaji
	path   string // kaji.yaml
	ns     string // the releases' namespace
	flux   *fluxenv.Flux
	env    []string // the kaji processes' environment: trusts the chart repository's CA
	export string   // the directory kaji export flux wrote
	before map[string]deployed
}

// deployed is what kaji's apply left of a release.
type deployed struct {
	revision  int
	first     string // when the release was first deployed, as Helm recorded it
	manifest  string
	configMap types.UID
}

// handOver applies the project with kaji, exports it, applies the export and waits until Flux
// has reconciled every HelmRelease.
func handOver(t *testing.T) *fluxWorld {
	t.Helper()
	env.Require(t)
	bin := binary(t) // before isolate, which gives go build an empty cache
	isolate(t)
	repo := charttest.NewHTTPSRepo(t, "/charts")
	for _, name := range fluxReleases {
		repo.Publish(t, name, "1.0.0", "hello from "+name)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, repo.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	w := &fluxWorld{bin: bin, ns: env.Namespace(t), env: processEnv(map[string]string{"SSL_CERT_FILE": ca})}
	w.flux = fluxenv.Start(t, env, fluxenv.TrustCA(repo.CACertPEM()))
	project := "flux-" + strings.ToLower(rand.Text()[:5])
	body := strings.NewReplacer("PROJECT", project, "REPO", repo.URL(), "NS", w.ns).Replace(`apiVersion: kaji.dev/v1alpha1
project: PROJECT
repositories:
  charts: REPO
releases:
  - {name: settings, namespace: NS, chart: charts/settings, version: 1.0.0, values: {greeting: from kaji.yaml}}
  - {name: api, namespace: NS, chart: charts/api, version: 1.0.0, needs: [settings]}
  - {name: web, namespace: NS, chart: charts/web, version: 1.0.0}
`)
	w.path = filepath.Join(t.TempDir(), "kaji.yaml")
	if err := os.WriteFile(w.path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}

	w.kaji(t, "apply", "--yes")
	w.before = map[string]deployed{}
	for _, name := range fluxReleases {
		w.before[name] = w.deployed(t, name)
	}
	w.export = filepath.Join(t.TempDir(), "flux")
	w.kaji(t, "export", "flux", "-n", w.flux.Namespace, "-o", w.export)
	w.flux.Apply(t, w.export)
	w.flux.WaitReady(t, fluxReleases...)
	return w
}

// kaji runs the kaji binary on the project, as a user runs it, and fails t unless it exits 0.
func (w *fluxWorld) kaji(t *testing.T, args ...string) string {
	t.Helper()
	out, err := w.run(t, args...)
	if err != nil {
		t.Fatalf("kaji %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// run runs the kaji binary on the project and returns its output, or an error with it.
func (w *fluxWorld) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	args = append(args, "-f", w.path)
	if args[0] != "export" {
		args = append(args, "--kubeconfig", env.KubeconfigPath, "--kube-context", env.ContextName)
	}
	cmd := exec.CommandContext(t.Context(), w.bin, args...)
	cmd.Env = w.env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w\n%s%s", err, out, stderr.String())
	}
	return string(out), nil
}

// deployed reads the latest revision of a release and the UID of its ConfigMap.
func (w *fluxWorld) deployed(t *testing.T, name string) deployed {
	t.Helper()
	ri, err := helmStore(env, w.ns).Last(name)
	if err != nil {
		t.Fatalf("release %s: %v", name, err)
	}
	r := ri.(*rspb.Release)
	if r.Info.Status != "deployed" {
		t.Fatalf("release %s revision %d is %s, want deployed", name, r.Version, r.Info.Status)
	}
	cm, err := env.Client.CoreV1().ConfigMaps(w.ns).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return deployed{revision: r.Version, first: r.Info.FirstDeployed.String(), manifest: r.Manifest, configMap: cm.UID}
}

// planned is what `kaji plan -o json` says of each release.
type planned struct {
	Summary struct {
		Changes bool `json:"changes"`
	} `json:"summary"`
	Releases []struct {
		Name    string `json:"name"`
		State   string `json:"state"`
		Reason  string `json:"reason"`
		Action  string `json:"action"`
		Changes []struct {
			Kind   string `json:"kind"`
			Name   string `json:"name"`
			Action string `json:"action"`
			Diff   []struct {
				Path string `json:"path"`
				Old  any    `json:"old"`
				New  any    `json:"new"`
			} `json:"diff"`
			Conflicts []struct {
				Path    string `json:"path"`
				Manager string `json:"manager"`
			} `json:"conflicts"`
		} `json:"changes"`
	} `json:"releases"`
}

func (w *fluxWorld) plan(t *testing.T) planned {
	t.Helper()
	out := w.kaji(t, "plan", "-o", "json")
	var p planned
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("kaji plan -o json: %v\n%s", err, out)
	}
	return p
}

// fluxLabels are the labels helm-controller adds to every object it applies.
var fluxLabels = []string{"helm.toolkit.fluxcd.io/name", "helm.toolkit.fluxcd.io/namespace"}

// withoutFluxLabels parses a release manifest into its objects, without Flux's labels.
func withoutFluxLabels(t *testing.T, manifest string) []map[string]any {
	t.Helper()
	var objs []map[string]any
	for doc := range strings.SplitSeq(manifest, "\n---") {
		var o map[string]any
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("manifest: %v\n%s", err, doc)
		}
		if o == nil {
			continue
		}
		if meta, ok := o["metadata"].(map[string]any); ok {
			if labels, ok := meta["labels"].(map[string]any); ok {
				for _, l := range fluxLabels {
					delete(labels, l)
				}
				if len(labels) == 0 {
					delete(meta, "labels")
				}
			}
		}
		objs = append(objs, o)
	}
	return objs
}

// Flux takes kaji's releases over in place: one upgrade at most, same objects, same manifest
// but for Flux's labels, and the history kept; kaji plan then finds every release in sync.
func TestFluxTakesOverWithoutReinstall(t *testing.T) {
	w := handOver(t)
	for _, name := range fluxReleases {
		before, after := w.before[name], w.deployed(t, name)
		if before.revision != 1 || after.revision > 2 {
			t.Errorf("%s: revision %d under kaji, %d under Flux; want 1, then 1 or 2", name, before.revision, after.revision)
		}
		if after.first != before.first {
			t.Errorf("%s: first deployed %s under kaji, %s under Flux: Flux installed it anew", name, before.first, after.first)
		}
		if after.configMap != before.configMap {
			t.Errorf("%s: ConfigMap UID %s under kaji, %s under Flux: it was recreated", name, before.configMap, after.configMap)
		}
		if got, want := withoutFluxLabels(t, after.manifest), withoutFluxLabels(t, before.manifest); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Flux's manifest differs from kaji's beyond its labels:\n%s\nkaji's:\n%s", name, after.manifest, before.manifest)
		}
		h, err := helmStore(env, w.ns).History(name)
		if err != nil || len(h) != after.revision {
			t.Errorf("%s: %d revisions in Helm's storage (%v), want %d: the history was not kept", name, len(h), err, after.revision)
		}
		// What makes the DefaultIgnore entries of internal/plan necessary: Flux's labels are on
		// the live objects.
		cm, err := env.Client.CoreV1().ConfigMaps(w.ns).Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cm.Labels[fluxLabels[0]] != name || cm.Labels[fluxLabels[1]] != w.flux.Namespace {
			t.Errorf("%s: ConfigMap labels %v, want Flux's", name, cm.Labels)
		}
	}

	p := w.plan(t)
	var states []string
	for _, r := range p.Releases {
		states = append(states, r.Name+"="+r.State)
		if r.State != "in-sync" {
			t.Errorf("kaji plan after the hand-over: %s is %s (%s), want in-sync; changes: %+v", r.Name, r.State, r.Reason, r.Changes)
		}
	}
	if want := []string{"settings=in-sync", "api=in-sync", "web=in-sync"}; !slices.Equal(states, want) {
		t.Errorf("kaji plan after the hand-over: %v, want %v", states, want)
	}
	if p.Summary.Changes {
		t.Error("kaji plan after the hand-over reports changes")
	}
}

// A value changed in the exported HelmRelease, and not in kaji.yaml, shows in kaji plan once
// Flux has upgraded the release.
func TestFluxUpgradeShowsAsDrift(t *testing.T) {
	w := handOver(t)
	file := filepath.Join(w.export, "helmrelease-settings.yaml")
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var hr map[string]any
	if err := yaml.Unmarshal(raw, &hr); err != nil {
		t.Fatal(err)
	}
	spec := hr["spec"].(map[string]any)
	if got := spec["values"]; !reflect.DeepEqual(got, map[string]any{"greeting": "from kaji.yaml"}) {
		t.Fatalf("exported values of settings: %v", got)
	}
	spec["values"] = map[string]any{"greeting": "from flux"}
	if raw, err = yaml.Marshal(hr); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	w.flux.Apply(t, w.export)
	w.flux.WaitReady(t, "settings")
	cm, err := env.Client.CoreV1().ConfigMaps(w.ns).Get(t.Context(), "settings", metav1.GetOptions{})
	if err != nil || cm.Data["greeting"] != "from flux" {
		t.Fatalf("ConfigMap settings after Flux's upgrade: %v %v, want greeting from flux", cm.Data, err)
	}

	p := w.plan(t)
	states := map[string]string{}
	for _, r := range p.Releases {
		states[r.Name] = r.State
		if r.Name != "settings" {
			continue
		}
		var diffs, conflicts []string
		for _, c := range r.Changes {
			for _, d := range c.Diff {
				diffs = append(diffs, fmt.Sprintf("%s/%s %s: %v → %v", c.Kind, c.Name, d.Path, d.Old, d.New))
			}
			for _, f := range c.Conflicts {
				conflicts = append(conflicts, c.Kind+"/"+c.Name+" "+f.Path+" of "+f.Manager)
			}
		}
		if want := []string{"ConfigMap/settings data.greeting: from flux → from kaji.yaml"}; !slices.Equal(diffs, want) {
			t.Errorf("kaji plan: settings changes %q, want %q", diffs, want)
		}
		// Flux's upgrade made helm-controller the only owner of the field it changed.
		if want := []string{"ConfigMap/settings data.greeting of helm-controller"}; r.Action != "refused" || !slices.Equal(conflicts, want) {
			t.Errorf("kaji plan: settings action %s, conflicts %q; want refused for %q", r.Action, conflicts, want)
		}
	}
	want := map[string]string{"settings": "upgrade", "api": "in-sync", "web": "in-sync"}
	if !maps.Equal(states, want) {
		t.Errorf("kaji plan after a change made in Flux: %v, want %v", states, want)
	}
	if !p.Summary.Changes {
		t.Error("kaji plan reports no changes after a change made in Flux")
	}

	// Going back to kaji: apply takes the field from helm-controller with --force-conflicts only.
	if out, err := w.run(t, "apply", "--yes"); err == nil {
		t.Errorf("kaji apply took a field of helm-controller without --force-conflicts:\n%s", out)
	}
	w.kaji(t, "apply", "--yes", "--force-conflicts")
	cm, err = env.Client.CoreV1().ConfigMaps(w.ns).Get(t.Context(), "settings", metav1.GetOptions{})
	if err != nil || cm.Data["greeting"] != "from kaji.yaml" {
		t.Errorf("ConfigMap settings after kaji apply --force-conflicts: %v %v, want greeting from kaji.yaml", cm.Data, err)
	}
}
