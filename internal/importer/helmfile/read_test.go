package helmfile

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"kaji.dev/kaji/internal/importer"
	"kaji.dev/kaji/internal/spec"
)

// wantNote is a note expected at a file:line.
type wantNote struct {
	where    string
	blocking bool
	contains string
}

// wantRelease is a release expected in kaji's terms, with its notes.
type wantRelease struct {
	release spec.Release
	origin  string
	notes   []wantNote
}

func checkNotes(t *testing.T, what string, got []importer.Note, want []wantNote) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d notes, want %d:\n%s", what, len(got), len(want), showNotes(got))
		return
	}
	for i, w := range want {
		g := got[i]
		if g.Where != w.where || g.Blocking != w.blocking || !strings.Contains(g.Message, w.contains) {
			t.Errorf("%s: note %d is\n  %s blocking=%v %q\nwant\n  %s blocking=%v containing %q", what, i, g.Where, g.Blocking, g.Message, w.where, w.blocking, w.contains)
		}
	}
}

func showNotes(notes []importer.Note) string {
	var b strings.Builder
	for _, n := range notes {
		b.WriteString("  " + n.Where + " " + n.Message + "\n")
	}
	return b.String()
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkReleases(t *testing.T, got []importer.Release, want []wantRelease) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d releases, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if a, b := asJSON(t, g.Release), asJSON(t, w.release); a != b {
			t.Errorf("release %d is\n%s\nwant\n%s", i, a, b)
		}
		if g.Origin != w.origin {
			t.Errorf("release %s: origin %q, want %q", w.release.Name, g.Origin, w.origin)
		}
		checkNotes(t, "release "+w.release.Name, g.Notes, w.notes)
	}
}

func TestReadPlatform(t *testing.T) {
	const f = "testdata/platform/helmfile.yaml"
	found, err := Read(f, Options{KajiDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if found.Kind != importer.KindHelmfile {
		t.Errorf("kind %q", found.Kind)
	}
	if found.Cluster == nil || found.Cluster.KubeContext != "platform-prod" {
		t.Errorf("cluster %+v, want kubeContext platform-prod from helmDefaults", found.Cluster)
	}
	wantRepos := map[string]string{
		"ingress-nginx":        "https://kubernetes.github.io/ingress-nginx",
		"jetstack":             "https://charts.jetstack.io",
		"external-dns":         "https://kubernetes-sigs.github.io/external-dns/",
		"prometheus-community": "https://prometheus-community.github.io/helm-charts",
		"bitnami":              "oci://registry-1.docker.io/bitnamicharts",
	}
	if !maps.Equal(found.Repositories, wantRepos) {
		t.Errorf("repositories %v, want %v", found.Repositories, wantRepos)
	}
	wantEnvs := map[string]spec.Environment{
		"staging":    {Cluster: &spec.Cluster{KubeContext: "platform-staging"}},
		"production": {},
	}
	if !reflect.DeepEqual(found.Environments, wantEnvs) {
		t.Errorf("environments %s, want %s", asJSON(t, found.Environments), asJSON(t, wantEnvs))
	}
	// helmDefaults: wait true, timeout 600, historyMax 5 differ from kaji's defaults and go into
	// every release that does not set its own; atomic false and createNamespace true do not.
	checkReleases(t, found.Releases, []wantRelease{
		{origin: f + ":39", release: spec.Release{
			Name: "ingress-nginx", Namespace: "ingress-nginx", Chart: "ingress-nginx/ingress-nginx", Version: "4.11.3",
			ValuesFiles: []string{"platform/values/ingress-nginx.yaml"},
			Values: map[string]any{"controller": map[string]any{
				"replicaCount": 2, "metrics": map[string]any{"enabled": true},
				"service": map[string]any{"annotations": map[string]any{"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}},
			}},
			Wait: ptr(true), Timeout: "600s", MaxHistory: ptr(5),
		}},
		{origin: f + ":53", release: spec.Release{
			Name: "cert-manager", Namespace: "cert-manager", Chart: "jetstack/cert-manager", Version: "v1.16.1",
			Values: map[string]any{"crds": map[string]any{"enabled": true}},
			Wait:   ptr(true), Timeout: "300s", MaxHistory: ptr(5),
		}},
		{origin: f + ":62", release: spec.Release{
			Name: "cert-issuers", Namespace: "cert-manager", Chart: "./platform/charts/cert-issuers",
			Needs: []string{"cert-manager"}, Wait: ptr(false), Timeout: "600s", MaxHistory: ptr(5),
		}},
		{origin: f + ":69", release: spec.Release{
			Name: "external-dns", Namespace: "external-dns", Chart: "external-dns/external-dns", Version: "1.15.0",
			Values: map[string]any{
				"domainFilters": []any{"example.com", "example.org"},
				"txtOwnerId":    "platform,prod",
				"podLabels":     map[string]any{"team": "42"},
			},
			Needs: []string{"cert-manager"}, Wait: ptr(true), Timeout: "600s", MaxHistory: ptr(5),
		}, notes: []wantNote{
			{f + ":76", false, "needs vault: no release of this helmfile has that name"},
		}},
		{origin: f + ":88", release: spec.Release{
			Name: "prometheus-operator-crds", Namespace: "monitoring", Chart: "prometheus-community/prometheus-operator-crds",
			Version: "16.0.0", Wait: ptr(true), Timeout: "600s", MaxHistory: ptr(5),
		}},
		{origin: f + ":94", release: spec.Release{
			Name: "kube-prometheus-stack", Namespace: "monitoring", Chart: "prometheus-community/kube-prometheus-stack",
			Version:     "65.1.1",
			ValuesFiles: []string{"platform/values/kube-prometheus-stack.yaml"},
			Values: map[string]any{
				"grafana":    map[string]any{"adminUser": "admin", "ingress": map[string]any{"enabled": true}},
				"prometheus": map[string]any{"prometheusSpec": map[string]any{"retention": "15d"}},
			},
			Needs: []string{"prometheus-operator-crds", "ingress-nginx"},
			Wait:  ptr(true), Timeout: "600s", MaxHistory: ptr(3), RollbackOnFailure: ptr(true),
		}, notes: []wantNote{
			{f + ":104", false, "taken to mean the only release named ingress-nginx (namespace ingress-nginx, line 39)"},
			{f + ":108", false, "comes after the inline values of line 106"},
			{f + ":109", false, "values file values/missing.yaml does not exist, and helmfile skips it (missingFileHandler: Warn)"},
			{f + ":110", true, "values file values/alerts.yaml.gotmpl is a helmfile template"},
		}},
		{origin: f + ":118", release: spec.Release{
			Name: "postgresql", Namespace: "default", Chart: "bitnami/postgresql", Version: "16.2.1",
			Enabled: ptr(false), Wait: ptr(true), Timeout: "600s", MaxHistory: ptr(5),
		}, notes: []wantNote{
			{f + ":118", false, "the release has no namespace"},
			{f + ":121", false, "installed: false: helmfile uninstalls the release on sync"},
		}},
	})
	checkNotes(t, "helmfile", found.Notes, []wantNote{
		{f + ":22", false, "helmDefaults args: extra helm arguments"},
		{f + ":27", false, "environment default values: they only feed helmfile templates"},
		{f + ":32", false, "environment production values"},
		{f + ":34", false, "environment production secrets"},
	})
}

func TestReadTemplated(t *testing.T) {
	const f = "testdata/templated/helmfile.yaml.gotmpl"
	found, err := Read(f, Options{KajiDir: "testdata/templated"})
	if err != nil {
		t.Fatal(err)
	}
	if found.Cluster != nil {
		t.Errorf("cluster %+v, want none", found.Cluster)
	}
	wantEnvs := map[string]spec.Environment{"prod": {Cluster: &spec.Cluster{KubeContext: `{{ requiredEnv "PROD_CONTEXT" }}`}}}
	if !reflect.DeepEqual(found.Environments, wantEnvs) {
		t.Errorf("environments %s", asJSON(t, found.Environments))
	}
	const env = "it depends on the helmfile environment"
	checkReleases(t, found.Releases, []wantRelease{
		{origin: f + ":16", release: spec.Release{
			Name: "shop-{{ .Environment.Name }}", Namespace: "shop", Chart: "bitnami/nginx", Version: "{{ .Values.nginxVersion }}",
			Values: map[string]any{
				"replicaCount": "{{ .Values.replicas | default 1 }}",
				"image":        map[string]any{"tag": `{{ requiredEnv "IMAGE_TAG" }}`},
				"resources":    map[string]any{"limits": map[string]any{"cpu": "500m"}},
				"serverBlock":  `{{ env "SERVER_BLOCK" | default "" | quote }}`,
			},
		}, notes: []wantNote{
			{f + ":16", true, env},
			{f + ":19", true, "helmfile template {{ .Values.nginxVersion }}: kaji does not evaluate templates, so the import kept the template text"},
			{f + ":21", true, "values file values/{{ .Environment.Name }}.yaml: its path is a template"},
			{f + ":21", true, env},
			{f + ":22", true, env},
			{f + ":24", true, "it reads the environment variable IMAGE_TAG"},
			{f + ":25", true, "the import left this line out"},
			{f + ":29", true, "helmfile template {{- end }}"},
			{f + ":32", true, "it reads the environment variable SERVER_BLOCK"},
		}},
		{origin: f + ":34", release: spec.Release{
			Name: "redis", Namespace: "shop", Chart: "bitnami/redis", Needs: []string{"shop-{{ .Environment.Name }}"},
		}, notes: []wantNote{
			{f + ":37", true, env},
			{f + ":39", true, env},
		}},
	})
	checkNotes(t, "helmfile", found.Notes, []wantNote{
		{f + ":1", false, "helmfile.yaml.gotmpl is a helmfile template"},
		{f + ":3", false, "the template notes say where they were used"},
		{f + ":6", true, "it reads the environment variable PROD_CONTEXT"},
		{f + ":7", false, "environment prod values"},
		{f + ":10", false, "helmfile template comment"},
	})
}

func TestReadExtras(t *testing.T) {
	const f = "testdata/extras/helmfile.yaml"
	found, err := Read(f, Options{KajiDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	wantRepos := map[string]string{
		"private": "https://charts.example.com/private",
		"ecr":     "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts",
	}
	if !maps.Equal(found.Repositories, wantRepos) {
		t.Errorf("repositories %v, want %v", found.Repositories, wantRepos)
	}
	if found.Environments != nil || found.Cluster != nil {
		t.Errorf("environments %v, cluster %v: want none", found.Environments, found.Cluster)
	}
	const otherCluster = "kubeContext other-cluster: the release goes to another cluster"
	checkReleases(t, found.Releases, []wantRelease{
		// api merges the default template (<<: *default) under its own keys, and the top-level
		// namespace overrides its own.
		{origin: f + ":45", release: spec.Release{
			Name: "api", Namespace: "apps", Chart: "private/api", Version: "2.0.0", ValuesFiles: []string{"extras/values/api.yaml"},
		}, notes: []wantNote{
			{f + ":47", false, "namespace ignored: the top-level namespace apps overrides it"},
			{f + ":50", false, "release labels: kaji has no release labels"},
			{f + ":52", true, "secrets secrets/api.yaml: helm-secrets encrypted values files"},
			{f + ":55", false, "hook on postsync runs `./smoke-test.sh`"},
			{f + ":59", true, "set config from file files/config.json"},
			{f + ":60", false, "release condition:"},
			{f + ":62", false, "release recreatePods:"},
			{f + ":63", true, otherCluster},
		}},
		// worker inherits the base template without its labels.
		{origin: f + ":65", release: spec.Release{
			Name: "worker", Namespace: "apps", Chart: "private/worker", Version: "1.0.0",
		}, notes: []wantNote{
			{f + ":70", true, otherCluster},
		}},
		{origin: f + ":72", release: spec.Release{
			Name: "worker", Namespace: "apps", Chart: "gitcharts/worker",
		}, notes: []wantNote{
			{f + ":72", true, "release name worker is also used by the release of line 65"},
			{f + ":73", true, "comes from repository gitcharts, which kaji cannot read"},
			{f + ":74", false, "release strategicMergePatches: helmfile patches"},
		}},
		// needs worker from namespace apps and the current context is the second worker.
		{origin: f + ":80", release: spec.Release{
			Name: "tool", Namespace: "apps", Chart: "./extras/tools/missing-chart", Needs: []string{"worker"},
		}, notes: []wantNote{
			{f + ":81", true, "local chart ./tools/missing-chart does not exist"},
		}},
	})
	checkNotes(t, "helmfile", found.Notes, []wantNote{
		{f + ":2", false, "base ../common/environments.yaml"},
		{f + ":4", false, "sub-helmfile apps/*/helmfile.yaml"},
		{f + ":5", false, "its selectors and values do not carry over"},
		{f + ":9", false, "commonLabels"},
		{f + ":12", false, "hook on prepare runs `kubectl apply -f crds/`"},
		{f + ":15", false, "lockFilePath"},
		{f + ":16", false, "unknown helmfile key mystery"},
		{f + ":19", false, "repository private sets username and password"},
		{f + ":19", false, "repository private sets caFile"},
		{f + ":24", true, "repository gitcharts has URL git+https://"},
		{f + ":26", false, "log in to 123456789012.dkr.ecr.eu-west-1.amazonaws.com"},
		{f + ":37", true, "helmfile template {{ .Release.Name }}"},
	})
}

// writeHelmfile writes a helmfile into a new directory and returns its path.
func writeHelmfile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct {
		name, file, text string
		want             []string // each must be in the error, with <f> for the file's path
	}{
		{name: "missing file", file: "", want: []string{"read helmfile", "no such file", "pass the path of a helmfile.yaml"}},
		{name: "invalid YAML", file: "helmfile.yaml", text: "releases:\n  - name: a\n    chart: x/y\n  bad\n",
			want: []string{"<f>:4: ", "fix the YAML"}},
		{name: "template that is not YAML", file: "helmfile.yaml",
			text: "{{ readFile \"common.yaml\" }}\nreleases:\n  - <<: *web\n    name: {{ .Values.name }}\n",
			want: []string{"<f>: ", "unknown anchor", "template lines 1, 4", "helmfile build"}},
		{name: "not a mapping", file: "helmfile.yaml", text: "- name: a\n", want: []string{"<f>:1: a helmfile document is a mapping"}},
		{name: "release without name or chart", file: "helmfile.yaml",
			text: "releases:\n  - namespace: a\n    chart: x/y\n  - name: b\n    namespace: b\n",
			want: []string{"<f>:2: release has no name", "<f>:4: release b has no chart"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "absent.yaml")
			if tc.file != "" {
				f = writeHelmfile(t, tc.file, tc.text)
			}
			found, err := Read(f, Options{})
			if err == nil {
				t.Fatalf("no error; found %s", asJSON(t, found))
			}
			for _, w := range tc.want {
				if w = strings.ReplaceAll(w, "<f>", f); !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}
